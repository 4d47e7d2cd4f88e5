"""Export a campaign's runs to MLflow through MLflow's own client, into a tracking URI you give.

    sentinel dashboard CAMPAIGN --mlflow-uri sqlite:///mlflow.db   # ./mlflow.db (sqlite:////abs.db)
    mlflow ui --backend-store-uri sqlite:///mlflow.db

One experiment per campaign ("sentinel/<id>") and one MLflow run per Sentinel run attempt, with
params (overrides, experiment, tier, model_ref), tags (`sentinel.*` facts) and metric histories
logged in batches. Metric histories are the numbers of each run's metrics.jsonl, read through
the hostile-input reader; non-finite points are left out. Exporting again replaces the same
runs: earlier MLflow runs carrying the same `sentinel.run_id` tag are deleted first.

`mlflow` is imported only when an export is asked for (it is slow to import). A URI of the wrong
shape is one line of bad input (exit 2) before anything is written; a store that does not answer
or lacks its driver is the environment (exit 3), also one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel.agent.dashboard.data import run_folder
from sentinel.agent.errors import BadInput, EnvironmentProblem
from sentinel.agent.goals import parse_goal
from sentinel.sandbox.artifacts import read_artifacts

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from sentinel.agent.store import FeedbackStore, RunRecord

__all__ = ["MlflowExport", "check_tracking_uri", "export_mlflow"]

#: Sentinel status -> MLflow's terminal RunStatus name; a running run is left RUNNING.
STATUS = {"completed": "FINISHED", "killed": "KILLED"}
FAILED = "FAILED"
SCHEMES = frozenset({"sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks"})
URI = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$", re.DOTALL)
MAX_URI = 2000
MAX_PARAM = 6000  # MLflow's limit on a param value
MAX_TAG = 5000  # below MLflow's limit on a tag value (8000)
BATCH_METRICS = 1000  # MLflow's log_batch limits per call
BATCH_PARAMS = 100
BATCH_TAGS = 100
RUN_TAG = "sentinel.run_id"
#: MLflow error codes that mean the store did not answer or failed (exit 3), not a bad request.
UNREACHABLE = frozenset({"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "ENDPOINT_NOT_FOUND", "IO_ERROR"})


@dataclass(frozen=True, slots=True)
class MlflowExport:
    experiment_id: str
    experiment_name: str
    runs: int
    tracking_uri: str


def check_tracking_uri(uri: str) -> str:
    """The URI if MLflow could use it as a tracking store, else BadInput naming the problem.

    Only shape is checked here (no import of mlflow, no connection): a scheme MLflow stores
    serve, and for sqlite an existing folder for the database file."""
    shown = repr(uri[:60]) + ("..." if len(uri) > 60 else "")
    if len(uri) > MAX_URI or not uri.isprintable():
        raise BadInput(f"--mlflow-uri {shown} is not a tracking URI")
    match = URI.match(uri)
    if match is None or match.group(1).split("+")[0] not in SCHEMES:
        raise BadInput(
            f"--mlflow-uri {shown} is not a tracking URI MLflow stores serve "
            f"(e.g. sqlite:///mlflow.db or http://host:5000)"
        )
    scheme, rest = match.group(1), match.group(2)
    if scheme == "sqlite":
        if not rest.startswith("/") or rest in {"/", "/:memory:"}:
            raise BadInput(f"--mlflow-uri {shown}: name a database file, e.g. sqlite:///mlflow.db")
        db = Path(rest[1:].partition("?")[0])  # SQLAlchemy: sqlite:///rel.db, sqlite:////abs.db
        if db.is_dir() or not db.parent.is_dir():
            raise BadInput(
                f"--mlflow-uri {shown}: {db.parent} must be an existing folder and {db.name} a file"
            )
    return uri


def _history(run: RunRecord, runs_dir: Path | None) -> Iterator[tuple[str, int, float, int]]:
    """(key, timestamp ms, value, step) of the run's finite metric-line numbers."""
    folder = run_folder(run, runs_dir)
    if folder is None or run.status == "running":
        return
    result = read_artifacts(folder / "artifacts")
    if not result.accepted or not result.metrics:
        return
    last = max(m.step for m in result.metrics) or 1
    start, span = run.started_at, run.duration_s or 0.0
    for m in result.metrics:
        ts = int((start + span * m.step / last) * 1000)
        values = {f"{m.split}/loss": m.loss}
        if m.split == "train":
            values.update({"train/grad_norm": m.grad_norm, "train/lr": m.lr})
        values.update({f"val/{k}": v for k, v in m.values.items()})
        for key, value in values.items():
            if value is not None and math.isfinite(value):
                yield key, ts, float(value), int(m.step)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _params(run: RunRecord) -> dict[str, str]:
    p = run.proposal
    params = {k: str(v)[:MAX_PARAM] for k, v in p.overrides.items()}
    params.update({"experiment": p.experiment, "tier": str(p.tier)})
    if p.model_ref:
        params["model_ref"] = p.model_ref
    return params


def _tags(run: RunRecord) -> dict[str, str]:
    p = run.proposal
    tags = {
        RUN_TAG: run.run_id,
        "mlflow.source.name": "sentinel",
        "mlflow.user": "sentinel",
        "sentinel.campaign": p.campaign_id,
        "sentinel.status": run.status,
        "sentinel.reason": run.reason,
        "sentinel.proposal": str(p.seq),
        "sentinel.attempt": str(run.attempt),
        "sentinel.lineage": p.lineage,
        "sentinel.isolation": run.isolation or "",
        "sentinel.rationale": p.rationale,
        "sentinel.monitor_events": str(run.event_count),
    }
    return {k: v[:MAX_TAG] for k, v in tags.items()}


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _export_run(client: MlflowClient, experiment_id: str, run: RunRecord, runs_dir: Path | None) -> None:
    from mlflow.entities import Metric, Param

    started = _ms(run.started_at) or 0
    created = client.create_run(experiment_id, start_time=started, tags=_tags(run), run_name=run.run_id)
    run_id = created.info.run_id
    metrics = [Metric(key, value, ts, step) for key, ts, value, step in _history(run, runs_dir)]
    end = _ms(run.finished_at) or started
    for which, values in (("best", run.best), ("final", run.final)):
        for key, value in values.items():
            if value is not None and math.isfinite(value):
                metrics.append(Metric(f"{which}/{key}", float(value), end, run.steps or 0))
    for batch in _chunks(metrics, BATCH_METRICS):
        client.log_batch(run_id, metrics=batch)
    for batch in _chunks([Param(k, v) for k, v in _params(run).items()], BATCH_PARAMS):
        client.log_batch(run_id, params=batch)
    if run.status != "running":
        client.set_terminated(run_id, STATUS.get(run.status, FAILED), end_time=_ms(run.finished_at))


def _earlier_runs(client: MlflowClient, experiment_id: str) -> dict[str, list[str]]:
    """MLflow run ids of earlier exports, by the Sentinel run id they carry."""
    found: dict[str, list[str]] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for r in page:
            if RUN_TAG in r.data.tags:
                found.setdefault(r.data.tags[RUN_TAG], []).append(r.info.run_id)
        token = page.token
        if not token:
            return found


def _experiment(client: MlflowClient, name: str, tags: dict[str, str]) -> str:
    existing = client.get_experiment_by_name(name)
    if existing is None:
        return client.create_experiment(name, tags=tags)
    if existing.lifecycle_stage == "deleted":
        client.restore_experiment(existing.experiment_id)
    for key, value in tags.items():
        client.set_experiment_tag(existing.experiment_id, key, value)
    return existing.experiment_id


def export_mlflow(
    store: FeedbackStore, campaign_id: str, tracking_uri: str, runs_dir: Path | None = None
) -> MlflowExport:
    """Write (or rewrite) the campaign as one MLflow experiment in the store at `tracking_uri`."""
    check_tracking_uri(tracking_uri)
    campaign = store.get_campaign(campaign_id)
    goal = parse_goal(dict(campaign.goal), f"campaign {campaign_id} goal snapshot", campaign.goal_address)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    name = f"sentinel/{campaign_id}"
    tags = {
        "sentinel.goal": campaign.goal_address,
        "sentinel.metric": f"{goal.metric.name} ({goal.metric.mode})",
        "sentinel.state": campaign.state,
        "mlflow.note.content": f"Sentinel campaign {campaign_id}: {campaign.state_reason}"[:MAX_TAG],
    }
    runs = store.runs(campaign_id)
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        experiment_id = _experiment(client, name, tags)
        earlier = _earlier_runs(client, experiment_id)
        for run in runs:
            for old in earlier.get(run.run_id, ()):
                client.delete_run(old)
            _export_run(client, experiment_id, run, runs_dir)
    except MlflowException as err:
        first = (str(err.message).splitlines() or [""])[0][:200]
        if err.error_code in UNREACHABLE:  # a server that does not answer, a store that fails
            raise EnvironmentProblem(f"--mlflow-uri {tracking_uri[:60]}: {first}") from None
        raise BadInput(f"--mlflow-uri {tracking_uri[:60]}: MLflow refused: {first}") from None
    except ImportError as err:  # e.g. mysql:// without its SQLAlchemy driver
        raise EnvironmentProblem(
            f"--mlflow-uri {tracking_uri[:60]}: needs the Python package {err.name or err} (pip install it)"
        ) from None
    except OSError as err:  # a disk that refuses
        raise EnvironmentProblem(f"--mlflow-uri {tracking_uri[:60]}: {err.strerror or err}") from None
    return MlflowExport(experiment_id, name, len(runs), tracking_uri)
