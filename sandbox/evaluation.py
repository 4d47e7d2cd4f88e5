"""Trusted evaluation: score the run's best checkpoint in a second container, on the host.

Why: the training process imported generated code, so everything it reported is a claim.
The evaluation container runs the run's own image (its code, no targets) with the evaluation
command, the same hardening and limits, `/data` read-only (the test split's inputs, never its
targets) and a fresh artifact volume. It is started beside the training container, imports
torch and builds the model while training runs, and waits; when training ends the host copies
the best checkpoint into its volume, and it writes raw outputs as `.npy`. The host reads them
as hostile input and scores them (`scoring.py`) against targets it alone holds. The verdict:

- predictions that break the format: the run is `artifact_rejected`;
- a claimed val metric that disagrees with the host's score of the same checkpoint on the same
  val inputs: the run is `integrity_mismatch` (never ranked or promoted);
- otherwise the run keeps its status and gains `trusted` metrics ("test/mae", "val/mae", ...),
  the only numbers a campaign ranks. A run with no checkpoint, or whose evaluation container
  failed, keeps its status with no trusted metrics, so it is never ranked either.

    with PendingEvaluation(engine, spec, dataset) as evaluation:   # before training starts
        result = run_container(engine, spec, out_dir)
        result = evaluation.finish(result)
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import numpy as np

from sentinel.contract.records import RunResult, TrustedMetrics
from sentinel.sandbox.artifacts import CHECKPOINT_FILE, ArtifactRejected
from sentinel.sandbox.artifacts._npy import read_predictions
from sentinel.sandbox.engine import Engine
from sentinel.sandbox.run import StartedContainer
from sentinel.sandbox.scoring import SPLITS, Targets, compare, load_targets, score
from sentinel.sandbox.spec import RunSpec

__all__ = ["EVALUATE_COMMAND", "PendingEvaluation"]

EVALUATE_COMMAND = ("python", "-m", "sentinel.sandbox.runtime.evaluate")
EVALUATED_STATUSES = frozenset({"completed", "diverged"})
EVAL_TIMEOUT_S = 300.0  # after training ends
PARTS = ("output", "mu", "logvar")
MAX_PREDICTION_BYTES = 256 * 1024 * 1024
MAX_TIMEOUT_S = 24 * 3600
FAST_POLL_S = 0.05  # only forward passes are left once the checkpoint is in: notice the end soon


class PendingEvaluation:
    """The evaluation container of one run, started before its training (see module docstring)."""

    def __init__(self, engine: Engine, spec: RunSpec, dataset: str, checkpoint_cap: int) -> None:
        """`spec` is the training run's; `checkpoint_cap` bounds the checkpoint it may receive."""
        self.targets: Targets = load_targets(spec.data_dir, dataset)
        rows = self.targets.rows("val") + self.targets.rows("test")
        room = min(2 * (checkpoint_cap + 3 * rows * self.targets.max_columns * 4) + (8 << 20), 4 * 1024**3)
        timeout = min(spec.limits.timeout_s + EVAL_TIMEOUT_S, MAX_TIMEOUT_S)
        eval_spec = RunSpec(
            run_id=spec.run_id,
            image=spec.image,
            data_dir=spec.data_dir,
            isolation=spec.isolation,
            limits=dataclasses.replace(
                spec.limits, timeout_s=timeout, artifact_bytes=max(spec.limits.artifact_bytes, room)
            ),
            command=(
                *EVALUATE_COMMAND,
                *("--checkpoint", f"/artifacts/{CHECKPOINT_FILE}", "--wait", f"{timeout:g}"),
            ),
            labels=(*spec.labels, ("io.sentinel.stage", "evaluation")),
        )
        self.container = StartedContainer(engine, eval_spec, volume_name=_volume_name(spec.run_id))

    def finish(self, result: RunResult) -> RunResult:
        """Hand over the training's checkpoint, wait, read and score: `result` with the verdict."""
        self.started = time.monotonic()  # what evaluation adds to the run's wall time starts now
        if result.status not in EVALUATED_STATUSES or result.artifacts is None:
            return result
        checkpoint = result.out_dir / "artifacts" / CHECKPOINT_FILE
        if not checkpoint.is_file() or checkpoint.is_symlink():
            return _unranked(result, "no checkpoint to evaluate")
        staged = self.container.path / f".{CHECKPOINT_FILE}.part"
        shutil.copyfile(checkpoint, staged, follow_symlinks=False)
        staged.chmod(0o444)
        os.replace(staged, self.container.path / CHECKPOINT_FILE)  # appears whole to the waiter
        seen = self.container.wait(poll_s=FAST_POLL_S)
        predictions = self._collect()
        self.close()
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
        return self._verdict(result, predictions)

    def _collect(self) -> dict[str, dict[str, np.ndarray]] | ArtifactRejected:
        """split -> part ("output", "mu", "logvar") -> checked array, or the rejection."""
        try:
            found = {}
            for split in SPLITS:
                arrays = read_predictions(
                    self.container.path,
                    [f"{split}.{part}" for part in PARTS],
                    rows=self.targets.rows(split),
                    max_cols=self.targets.max_columns,
                    max_bytes=MAX_PREDICTION_BYTES,
                )
                found[split] = {name.split(".", 1)[1]: array for name, array in arrays.items()}
            return found
        except ArtifactRejected as err:
            return err

    def _verdict(self, result: RunResult, predictions: dict[str, dict[str, np.ndarray]]) -> RunResult:
        scores = {split: score(self.targets, split, predictions[split]) for split in SPLITS}
        values = {f"{split}/{name}": _finite(v) for split in SPLITS for name, v in scores[split].items()}
        summary = result.artifacts.summary if result.artifacts is not None else None
        claimed = summary.best.values if summary is not None and summary.best is not None else {}
        mismatch = compare(claimed, scores["val"], self.targets.rows("val"))
        seconds = time.monotonic() - self.started
        trusted = TrustedMetrics(values=values, mismatch=mismatch, seconds=seconds)
        if mismatch is not None:
            return dataclasses.replace(result, status="integrity_mismatch", reason=mismatch, trusted=trusted)
        return dataclasses.replace(result, trusted=trusted)

    def close(self) -> None:
        """Remove the evaluation container and its volume (killed if still waiting)."""
        self.container.close()

    def __enter__(self) -> PendingEvaluation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _volume_name(run_id: str) -> str:
    """The evaluation volume's name beside the run's own (run ids are at most 64 characters)."""
    return f"{run_id[:58]}.eval"


def _unranked(result: RunResult, why: str) -> RunResult:
    return dataclasses.replace(result, reason=f"{result.reason}; not ranked: {why}")


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None
