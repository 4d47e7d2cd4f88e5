"""Trusted evaluation: after training, score the best checkpoint in a second container.

Why: the training process imported generated code, so everything it reported is a claim.
The evaluation container gets a layer `FROM` the run's own image plus the copied checkpoint,
the same hardening and limits, `/data` read-only (the test split's inputs, never its targets)
and a fresh artifact volume; it writes raw outputs as `.npy`. The host reads them as hostile
input and scores them (`scoring.py`) against targets it alone holds. The verdict:

- predictions that break the format: the run is `artifact_rejected`;
- a claimed val metric that disagrees with the host's score of the same checkpoint on the same
  val inputs: the run is `integrity_mismatch` (never ranked or promoted);
- otherwise the run keeps its status and gains `trusted` metrics ("test/mae", "val/mae", ...),
  the only numbers a campaign ranks. A run with no checkpoint, or whose evaluation container
  failed, keeps its status with no trusted metrics, so it is never ranked either.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sentinel.sandbox.artifacts import CHECKPOINT_FILE, ArtifactRejected
from sentinel.sandbox.artifacts._npy import read_predictions
from sentinel.sandbox.engine import Engine
from sentinel.sandbox.images import build_eval_image
from sentinel.sandbox.run import RunResult, execute
from sentinel.sandbox.scoring import SPLITS, TrustedMetrics, compare, load_targets, score
from sentinel.sandbox.spec import RunLimits, RunSpec

__all__ = ["EVALUATE_COMMAND", "evaluate_run"]

EVALUATE_COMMAND = ("python", "-m", "sentinel.sandbox.runtime.evaluate")
EVALUATED_STATUSES = frozenset({"completed", "diverged"})
EVAL_TIMEOUT_S = 300.0
PARTS = ("output", "mu", "logvar")
MAX_PREDICTION_BYTES = 256 * 1024 * 1024


def evaluate_run(
    engine: Engine, result: RunResult, spec: RunSpec, dataset: str, keep_image: bool = False
) -> RunResult:
    """`result` with trusted metrics and the verdict on its claims (see the module docstring)."""
    if result.status not in EVALUATED_STATUSES or result.artifacts is None:
        return result
    checkpoint = result.out_dir / "artifacts" / CHECKPOINT_FILE
    if not checkpoint.is_file() or checkpoint.is_symlink():
        return _unranked(result, "no checkpoint to evaluate")
    targets = load_targets(spec.data_dir, dataset)
    image = build_eval_image(engine, spec.image, spec.run_id, checkpoint)
    try:
        limits = dataclasses.replace(spec.limits, timeout_s=min(spec.limits.timeout_s, EVAL_TIMEOUT_S))
        eval_spec = RunSpec(
            run_id=spec.run_id,
            image=image.tag,
            data_dir=spec.data_dir,
            isolation=spec.isolation,
            limits=_with_room(limits, targets.rows("val") + targets.rows("test"), targets.max_columns),
            command=EVALUATE_COMMAND,
            labels=(*spec.labels, ("io.sentinel.stage", "evaluation")),
        )

        def collect(volume: Path) -> dict[str, dict[str, np.ndarray]] | ArtifactRejected:
            """split -> part ("output", "mu", "logvar") -> checked array."""
            try:
                found = {}
                for split in SPLITS:
                    arrays = read_predictions(
                        volume,
                        [f"{split}.{part}" for part in PARTS],
                        rows=targets.rows(split),
                        max_cols=targets.max_columns,
                        max_bytes=MAX_PREDICTION_BYTES,
                    )
                    found[split] = {name.split(".", 1)[1]: array for name, array in arrays.items()}
                return found
            except ArtifactRejected as err:
                return err

        seen, predictions = execute(engine, eval_spec, collect)
    finally:
        if not keep_image:
            engine.remove_image(image.tag)
    if isinstance(predictions, ArtifactRejected):
        return dataclasses.replace(
            result, status="artifact_rejected", reason=f"evaluation: {predictions.reason}"
        )
    if seen.exit_code != 0 or seen.timed_out or seen.oom_killed:
        return _unranked(result, f"the evaluation container failed (exit code {seen.exit_code})")
    if any("output" not in predictions[split] for split in SPLITS):
        return dataclasses.replace(
            result, status="artifact_rejected", reason="evaluation: the predictions are missing"
        )
    scores = {split: score(targets, split, predictions[split]) for split in SPLITS}
    values = {f"{split}/{name}": _finite(v) for split in SPLITS for name, v in scores[split].items()}
    summary = result.artifacts.summary
    claimed = summary.best.values if summary is not None and summary.best is not None else {}
    mismatch = compare(claimed, scores["val"], targets.rows("val"))
    trusted = TrustedMetrics(values=values, mismatch=mismatch)
    if mismatch is not None:
        return dataclasses.replace(result, status="integrity_mismatch", reason=mismatch, trusted=trusted)
    return dataclasses.replace(result, trusted=trusted)


def _unranked(result: RunResult, why: str) -> RunResult:
    return dataclasses.replace(result, reason=f"{result.reason}; not ranked: {why}")


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def _with_room(limits: RunLimits, rows: int, columns: int) -> RunLimits:
    """An artifact cap that fits every prediction file (three parts per split) with margin."""
    need = 3 * rows * columns * 4 + (1 << 20)
    cap = min(max(limits.artifact_bytes, 2 * need), 4 * 1024**3)
    return dataclasses.replace(limits, artifact_bytes=cap)
