"""Campaign dashboards and report pages: one self-contained HTML file each (DESIGN.md, issue 8).

    write_dashboard(store, campaign_id, runs_dir / campaign_id / "dashboard.html", runs_dir)
    html = render_bench_page(rows, curves)            # `sentinel monitor bench`
    export_mlflow(store, campaign_id, "sqlite:///mlflow.db")  # through MLflow's own client

Pages are rendered from autoescaping jinja2 templates (`templates/`, shipped as package data)
and carry inline SVG and CSS only, under a CSP that forbids scripts and every fetch, so they
open from disk or a git checkout on an air-gapped machine. Only numbers come from a run's
artifacts (read through the hostile-input reader); every string is escaped.
"""

from sentinel.agent.dashboard.analysis import analysis
from sentinel.agent.dashboard.bench import BenchCurves, render_bench_page
from sentinel.agent.dashboard.data import (
    Compute,
    DashboardData,
    GeneratedModel,
    RunView,
    TimelineEntry,
    gather,
)
from sentinel.agent.dashboard.mlflow import check_tracking_uri, export_mlflow
from sentinel.agent.dashboard.page import render_dashboard, write_campaign_dashboard, write_dashboard

__all__ = [
    "BenchCurves",
    "Compute",
    "DashboardData",
    "GeneratedModel",
    "RunView",
    "TimelineEntry",
    "analysis",
    "check_tracking_uri",
    "export_mlflow",
    "gather",
    "render_bench_page",
    "render_dashboard",
    "write_campaign_dashboard",
    "write_dashboard",
]
