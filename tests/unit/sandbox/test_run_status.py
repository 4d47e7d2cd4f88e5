"""The runner's status rules (`sandbox/run.py`, `sandbox/evaluation.py`) driven by a scripted
engine (tests/fakes/engine.py): status comes from what the host observed (its deadline, the OOM
flag, the exit code), artifacts that break the contract or disagree with the exit code reject
the run, trusted evaluation ranks, unranks or marks an integrity mismatch, and every container
and volume is removed whatever happened. Real containers: tests/integration, tests/security."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fakes.engine import FakeEngine, Script, folder_volumes

from sentinel.sandbox.errors import SandboxError
from sentinel.sandbox.evaluation import PendingEvaluation
from sentinel.sandbox.run import judge, run_container
from sentinel.sandbox.scoring import load_targets, score
from sentinel.sandbox.spec import RunLimits, RunSpec

RUN_ID = "fake-run-p0001-a1"
DATASET = "tiny"
VAL_Y = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
TEST_Y = np.array([2.0, 0.5, 1.5], dtype=np.float32)


def _writes(
    status: str | None = "completed", claims: dict[str, float] | None = None, **extra: bytes
) -> Callable[[Path], None]:
    """A run's output: a few metric lines, a summary claiming `status` (None: no summary) with
    best val metrics `claims`, a checkpoint, and any `extra` files."""
    claims = claims or {"val/loss": 0.5, "val/mae": 0.5}

    def write(artifacts: Path) -> None:
        lines = [
            {"step": 1, "epoch": 0, "split": "train", "loss": 1.0, "grad_norm": 1.0, "lr": 0.01},
            {"step": 2, "epoch": 0, "split": "val", "loss": claims["val/loss"], "mae": claims["val/mae"]},
        ]
        (artifacts / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
        if status is not None:
            best = {"epoch": 0, "step": 2, **claims}
            summary = {"status": status, "epochs": 1, "steps": 2, "best": best, "final": best}
            (artifacts / "summary.json").write_text(json.dumps(summary))
        (artifacts / "checkpoint.pt").write_bytes(b"opaque weights")
        for name, data in extra.items():
            (artifacts / name).write_bytes(data)

    return write


def _spec(tmp_path: Path, timeout_s: float = 60.0) -> RunSpec:
    (tmp_path / "data").mkdir(exist_ok=True)
    return RunSpec(RUN_ID, "sentinel-run:fake", tmp_path / "data", limits=RunLimits(timeout_s=timeout_s))


@pytest.fixture
def volumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    return folder_volumes(tmp_path, monkeypatch)


def _cleaned_up(engine: FakeEngine, volumes: list) -> bool:
    return engine.removed() == set(engine.containers) and not any(v.path.exists() for v in volumes)


# exit code, OOM flag, script -> status; reason fragment
OBSERVED = {
    "exit 0, honest summary": (Script(0, writes=_writes("completed")), "completed", "exited with code 0"),
    "exit 3, diverged summary": (Script(3, writes=_writes("diverged")), "diverged", "exited with code 3"),
    "supervisor deadline 124": (Script(124, writes=_writes(None)), "timeout", "own supervisor"),
    "OOM flag": (Script(137, oom_killed=True), "oom", "memory limit"),
    "killed from outside": (Script(143), "killed", "exit code 143"),
    "exit 1": (Script(1, writes=_writes(None)), "failed", "exited with code 1"),
    "exit 0, no summary": (Script(0, writes=_writes(None)), "artifact_rejected", "summary.json is missing"),
    "exit 0, summary claims diverged": (
        Script(0, writes=_writes("diverged")),
        "artifact_rejected",
        "disagrees with the observed exit code",
    ),
    "exit 3, summary claims completed": (
        Script(3, writes=_writes("completed")),
        "artifact_rejected",
        "disagrees",
    ),
    "exit 0, malformed metrics": (
        Script(0, writes=_writes("completed", **{"metrics.jsonl": b"{not json\n"})),
        "artifact_rejected",
        "metrics.jsonl",
    ),
    "OOM with garbage artifacts": (
        Script(137, oom_killed=True, writes=_writes(None, **{"metrics.jsonl": b"\x00\xff"})),
        "oom",
        "memory limit",
    ),
}


@pytest.mark.parametrize("case", list(OBSERVED))
def test_status_comes_from_what_the_host_observed(case: str, tmp_path: Path, volumes) -> None:
    script, status, reason = OBSERVED[case]
    script.polls, script.log = 1, b"hello from the run\n"  # one "still running" answer, then it ends
    engine = FakeEngine(script)
    result = run_container(engine, _spec(tmp_path), tmp_path / "out")
    assert (result.status, result.timed_out) == (status, False)
    assert reason in result.reason
    assert (tmp_path / "out" / "stdout.log").read_bytes() == b"hello from the run\n"
    assert _cleaned_up(engine, volumes) and not engine.killed()
    if status in {"completed", "diverged"}:
        assert (tmp_path / "out" / "artifacts" / "summary.json").is_file()
    if result.artifacts is not None and not result.artifacts.accepted:
        assert not (tmp_path / "out" / "artifacts" / "summary.json").exists()  # nothing of it is kept
    # An adopted run (its host died before the record) gets the same verdict from the same facts.
    state = next(iter(engine.containers.values()))
    assert judge(state.exit_code, state.oom_killed, False, result.artifacts) == (result.status, result.reason)


def test_the_host_deadline_kills_and_the_run_is_a_timeout(tmp_path: Path, volumes) -> None:
    engine = FakeEngine(Script(0, polls=None, writes=_writes("completed")))  # never ends by itself
    result = run_container(engine, _spec(tmp_path, timeout_s=1), tmp_path / "out")
    assert (result.status, result.timed_out) == ("timeout", True)
    assert "wall-clock limit" in result.reason and 1.0 <= result.seconds < 30
    assert engine.killed() == set(engine.containers) and _cleaned_up(engine, volumes)


def test_a_summary_never_upgrades_an_observed_failure(tmp_path: Path, volumes) -> None:
    engine = FakeEngine(Script(2, writes=_writes("completed")))  # claims success, exited 2
    result = run_container(engine, _spec(tmp_path), tmp_path / "out")
    assert result.status == "failed" and result.exit_code == 2


def test_a_planted_link_rejects_the_run(tmp_path: Path, volumes) -> None:
    def plant(artifacts: Path) -> None:
        _writes("completed")(artifacts)
        (artifacts / "summary.json").unlink()
        os.symlink("/etc/passwd", artifacts / "summary.json")

    engine = FakeEngine(Script(0, writes=plant))
    result = run_container(engine, _spec(tmp_path), tmp_path / "out")
    assert result.status == "artifact_rejected" and _cleaned_up(engine, volumes)


def test_an_engine_refusal_at_start_still_removes_container_and_volume(tmp_path: Path, volumes) -> None:
    class Refusing(FakeEngine):
        def start(self, container_id: str) -> None:
            self.calls.append(("start", container_id))
            raise SandboxError("engine refused to start a container: no such runtime")

    engine = Refusing(Script(0))
    with pytest.raises(SandboxError, match="no such runtime"):
        run_container(engine, _spec(tmp_path), tmp_path / "out")
    assert _cleaned_up(engine, volumes) and len(volumes) == 1
    assert not list((tmp_path / "notes").glob("*.owner"))  # the volume's claim is let go too


# trusted evaluation ------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A tiny regression dataset: val inputs and targets, test inputs; test targets held out."""
    data = tmp_path / "data"
    (data / DATASET).mkdir(parents=True)
    (data / DATASET / "meta.json").write_text(json.dumps({"task": "regression"}))
    np.savez(data / DATASET / "val.npz", x=np.zeros((4, 2), np.float32), y=VAL_Y)
    np.savez(data / DATASET / "test_inputs.npz", x=np.zeros((3, 2), np.float32))
    (tmp_path / "data.heldout" / DATASET).mkdir(parents=True)
    np.savez(tmp_path / "data.heldout" / DATASET / "test_targets.npz", y=TEST_Y)
    return data


def _predicts(val: np.ndarray, test: np.ndarray) -> Callable[[Path], None]:
    def write(artifacts: Path) -> None:
        np.save(artifacts / "val.output.npy", np.ascontiguousarray(val.reshape(-1, 1), dtype=np.float32))
        np.save(artifacts / "test.output.npy", np.ascontiguousarray(test.reshape(-1, 1), dtype=np.float32))

    return write


def _has_checkpoint(artifacts: Path) -> bool:
    return (artifacts / "checkpoint.pt").is_file()


def _evaluate(tmp_path: Path, data_dir: Path, training: Script, evaluation: Script):
    spec = RunSpec(RUN_ID, "sentinel-run:fake", data_dir, limits=RunLimits(timeout_s=60))
    engine = FakeEngine(evaluation, training)  # the evaluation container is created first
    with PendingEvaluation(engine, spec, DATASET, checkpoint_cap=1 << 20) as pending:
        trained = run_container(engine, spec, tmp_path / "out")
        result = pending.finish(trained)
    return engine, result


def _honest(data_dir: Path, val: np.ndarray) -> dict[str, float]:
    scores = score(load_targets(data_dir, DATASET), "val", {"output": val.reshape(-1, 1)})
    return {f"val/{name}": value for name, value in scores.items()}


def test_an_honest_run_gains_trusted_metrics(tmp_path: Path, data_dir: Path, volumes) -> None:
    val = np.array([1.5, 2.0, 2.5, 4.0])
    engine, result = _evaluate(
        tmp_path,
        data_dir,
        Script(0, writes=_writes("completed", _honest(data_dir, val))),
        Script(0, until=_has_checkpoint, writes=_predicts(val, TEST_Y)),
    )
    assert result.status == "completed" and result.trusted is not None
    assert result.trusted.values["test/mae"] == pytest.approx(0.0, abs=1e-6)
    assert result.trusted.values["val/mae"] == pytest.approx(0.25)
    assert _cleaned_up(engine, volumes) and len(volumes) == 2


def test_a_claim_the_predictions_do_not_back_is_an_integrity_mismatch(
    tmp_path: Path, data_dir: Path, volumes
) -> None:
    val = np.array([1.5, 2.0, 2.5, 4.0])  # scores val/mae 0.25; the run claims 0.01
    claims = {**_honest(data_dir, val), "val/mae": 0.01}
    engine, result = _evaluate(
        tmp_path,
        data_dir,
        Script(0, writes=_writes("completed", claims)),
        Script(0, until=_has_checkpoint, writes=_predicts(val, TEST_Y)),
    )
    assert result.status == "integrity_mismatch" and "claimed val/mae 0.01" in result.reason
    assert _cleaned_up(engine, volumes)


def test_predictions_of_the_wrong_shape_reject_the_run(tmp_path: Path, data_dir: Path, volumes) -> None:
    engine, result = _evaluate(
        tmp_path,
        data_dir,
        Script(0, writes=_writes("completed")),
        Script(0, until=_has_checkpoint, writes=_predicts(np.zeros(7), TEST_Y)),  # 7 rows, not 4
    )
    assert result.status == "artifact_rejected" and result.reason.startswith("evaluation: ")
    assert _cleaned_up(engine, volumes)


def test_a_failed_evaluation_keeps_the_status_unranked(tmp_path: Path, data_dir: Path, volumes) -> None:
    engine, result = _evaluate(
        tmp_path,
        data_dir,
        Script(0, writes=_writes("completed")),
        Script(1, until=_has_checkpoint),
    )
    assert result.status == "completed" and result.trusted is None
    assert "not ranked: the evaluation container failed (exit code 1)" in result.reason
    assert _cleaned_up(engine, volumes)


def test_a_failed_training_is_not_evaluated(tmp_path: Path, data_dir: Path, volumes) -> None:
    engine, result = _evaluate(
        tmp_path,
        data_dir,
        Script(1, writes=_writes(None)),
        Script(0, polls=None),  # waits forever
    )
    assert result.status == "failed" and result.trusted is None
    evaluation_id = next(iter(engine.containers))
    assert evaluation_id in engine.removed() and _cleaned_up(engine, volumes)
