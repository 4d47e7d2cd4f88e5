"""Export a campaign's runs into MLflow's local file store layout, without importing MLflow.

Users who live in MLflow point its UI at the folder (`mlflow ui --backend-store-uri DIR`;
MLflow >= 3.7 also needs `MLFLOW_ALLOW_FILE_STORE=true`, or `mlflow migrate-filestore`):

    DIR/0/meta.yaml                                the Default experiment, as MLflow creates it
    DIR/<experiment id>/meta.yaml                  one experiment per campaign: "sentinel/<id>"
    DIR/<experiment id>/<run id>/meta.yaml         one MLflow run per Sentinel run (every attempt)
                                  metrics/<key>    "<ms timestamp> <value> <step>" per line
                                  params/<key>     the value's text (overrides, experiment, ...)
                                  tags/<key>       mlflow.runName and sentinel.* facts

Ids are derived from the campaign and run ids, so exporting again replaces the same runs
instead of adding copies. Metric histories are the numbers of each run's metrics.jsonl, read
through the hostile-input reader; non-finite points are left out.
"""

from __future__ import annotations

import math
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sentinel.agent.dashboard.data import run_folder
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import parse_goal
from sentinel.sandbox.artifacts import read_artifacts

if TYPE_CHECKING:
    from sentinel.agent.store import FeedbackStore, RunRecord

__all__ = ["MlflowExport", "export_mlflow"]

#: RunStatus numbers in meta.yaml: RUNNING 1, FINISHED 3, FAILED 4, KILLED 5.
STATUS = {"running": 1, "completed": 3, "killed": 5}
FAILED = 4
SOURCE_LOCAL = 4
NAMESPACE = uuid.UUID("5e7e1a2d-6c1b-4c8e-9a57-2f1d0c3b9e41")  # Sentinel's uuid5 namespace
KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/ ]{0,249}")  # MLflow's key charset, no leading "/"
MAX_PARAM = 6000  # MLflow's limit on a param value


@dataclass(frozen=True, slots=True)
class MlflowExport:
    experiment_id: str
    experiment_name: str
    runs: int
    folder: Path


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _key(key: str) -> str:
    """A key safe both for MLflow and as a relative path under the run folder."""
    parts = key.split("/")
    if not KEY.fullmatch(key) or any(p in {"", ".", ".."} for p in parts):
        raise BadInput(f"cannot export {key!r:.60} to MLflow: not a safe key")
    return key


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _yaml(path: Path, data: dict[str, Any]) -> None:
    _write(path, yaml.safe_dump(data, default_flow_style=False, sort_keys=True))


def _experiment_meta(folder: Path, experiment_id: str, name: str, now_ms: int) -> dict[str, Any]:
    return {
        "artifact_location": (folder / experiment_id).resolve().as_uri(),
        "creation_time": now_ms,
        "experiment_id": experiment_id,
        "last_update_time": now_ms,
        "lifecycle_stage": "active",
        "name": name,
    }


def _existing_id(folder: Path, name: str) -> str | None:
    """The id of an experiment already named `name` in the store, so a re-export reuses it."""
    for meta in folder.glob("*/meta.yaml"):
        try:
            data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and data.get("name") == name:
            return str(data.get("experiment_id", meta.parent.name))
    return None


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


def _export_run(run_dir: Path, run: RunRecord, experiment_id: str, runs_dir: Path | None) -> None:
    if run_dir.exists():
        shutil.rmtree(run_dir)  # ours (the id is derived from the Sentinel run): replace it whole
    started = _ms(run.started_at) or 0
    _yaml(
        run_dir / "meta.yaml",
        {
            "artifact_uri": (run_dir / "artifacts").resolve().as_uri(),
            "end_time": _ms(run.finished_at),
            "entry_point_name": "",
            "experiment_id": experiment_id,
            "lifecycle_stage": "active",
            "run_id": run_dir.name,
            "run_name": run.run_id,
            "run_uuid": run_dir.name,
            "source_name": "",
            "source_type": SOURCE_LOCAL,
            "source_version": "",
            "start_time": started,
            "status": STATUS.get(run.status, FAILED),
            "tags": [],
            "user_id": "sentinel",
        },
    )
    (run_dir / "artifacts").mkdir()
    lines: dict[str, list[str]] = {}
    for key, ts, value, step in _history(run, runs_dir):
        lines.setdefault(key, []).append(f"{ts} {value!r} {step}")
    end = _ms(run.finished_at) or started
    for which, values in (("best", run.best), ("final", run.final)):
        for key, value in values.items():
            if value is not None and math.isfinite(value):
                lines.setdefault(f"{which}/{key}", []).append(f"{end} {float(value)!r} {run.steps or 0}")
    for key, rows in lines.items():
        _write(run_dir / "metrics" / _key(key), "\n".join(rows) + "\n")
    p = run.proposal
    params: dict[str, str] = {k: str(v) for k, v in p.overrides.items()}
    params.update({"experiment": p.experiment, "tier": str(p.tier)})
    if p.model_ref:
        params["model_ref"] = p.model_ref
    for key, value in params.items():
        _write(run_dir / "params" / _key(key), value[:MAX_PARAM])
    tags = {
        "mlflow.runName": run.run_id,
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
    for key, value in tags.items():
        _write(run_dir / "tags" / _key(key), value)


def export_mlflow(
    store: FeedbackStore, campaign_id: str, folder: Path, runs_dir: Path | None = None
) -> MlflowExport:
    """Write (or rewrite) the campaign as one MLflow experiment under `folder` (an mlruns root)."""
    campaign = store.get_campaign(campaign_id)
    goal = parse_goal(dict(campaign.goal), f"campaign {campaign_id} goal snapshot", campaign.goal_address)
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"--mlflow {folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".trash").mkdir(exist_ok=True)
    now_ms = int(time.time() * 1000)
    if not (folder / "0" / "meta.yaml").exists():
        _yaml(folder / "0" / "meta.yaml", _experiment_meta(folder, "0", "Default", now_ms))
    name = f"sentinel/{campaign_id}"
    experiment_id = _existing_id(folder, name) or str(
        uuid.uuid5(NAMESPACE, f"experiment:{campaign_id}").int % 10**18
    )
    meta = _experiment_meta(folder, experiment_id, name, now_ms)
    meta["creation_time"] = _ms(campaign.created_at)
    _yaml(folder / experiment_id / "meta.yaml", meta)
    for key, value in {
        "sentinel.goal": campaign.goal_address,
        "sentinel.metric": f"{goal.metric.name} ({goal.metric.mode})",
        "sentinel.state": campaign.state,
        "mlflow.note.content": f"Sentinel campaign {campaign_id}: {campaign.state_reason}",
    }.items():
        _write(folder / experiment_id / "tags" / _key(key), value)
    runs = store.runs(campaign_id)
    for run in runs:
        run_uuid = uuid.uuid5(NAMESPACE, f"run:{campaign_id}:{run.run_id}").hex
        _export_run(folder / experiment_id / run_uuid, run, experiment_id, runs_dir)
    return MlflowExport(experiment_id, name, len(runs), folder)
