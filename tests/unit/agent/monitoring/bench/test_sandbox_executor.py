"""The sandbox bench executor without Docker: LaunchOutcome -> RunOutcome, run ids, failed starts.

Records are built directly, or read from a folder by the sandbox's own artifact reader; the
launcher is a small function at the executor's seam (as in the campaign loop's tests).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.errors import BadInput
from sentinel.agent.launch import LaunchOutcome, LaunchRequest
from sentinel.agent.monitoring.bench.executor import RunRequest, read_outcome
from sentinel.agent.monitoring.bench.sandbox_executor import (
    BENCH_CAMPAIGN,
    SandboxExecutor,
    bench_run_id,
    outcome_from_launch,
)
from sentinel.contract.events import decision_event, experience_event
from sentinel.contract.patterns import RUN_ID
from sentinel.contract.records import RunArtifacts, RunResult, RunSummary, SummaryPoint
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.errors import BadRunInput, EngineUnavailable, ImageUnavailable

SUMMARY = RunSummary(
    status="completed",
    epochs=10,
    steps=400,
    best=SummaryPoint(9, 200, {"val/loss": 0.06, "val/acc": 0.98}),
    final=SummaryPoint(19, 400, {"val/loss": 0.07, "val/acc": 0.97}),
)


def _launched(
    tmp_path: Path,
    status: str,
    summary: RunSummary | None = SUMMARY,
    exit_code: int | None = 0,
    artifacts: RunArtifacts | None = None,
) -> LaunchOutcome:
    rejected = status == "artifact_rejected"
    if artifacts is None:
        artifacts = RunArtifacts(rejection="bad") if rejected else RunArtifacts(summary=summary)
    result = RunResult(
        run_id="mb-x-s0-mon-abcdef",
        status=status,
        reason="Sentinel's wording",
        exit_code=exit_code,
        oom_killed=status == "oom",
        timed_out=status == "timeout",
        isolation="runc",
        image="sentinel-run:mb-x-s0-mon-abcdef",
        seconds=12.0,
        out_dir=tmp_path,
        log_tail="",
        artifacts=artifacts,
    )
    return LaunchOutcome(result.run_id, status, result.reason, tmp_path, result=result)


@pytest.mark.parametrize(
    ("status", "exit_code"), [("timeout", None), ("oom", 137), ("killed", 137), ("artifact_rejected", 0)]
)
def test_host_observed_failures_are_errors_even_with_a_summary(tmp_path, status, exit_code):
    outcome = outcome_from_launch(_launched(tmp_path, status, exit_code=exit_code), 3.0)
    assert outcome.status == "error"
    assert math.isnan(outcome.final_loss) and math.isnan(outcome.best_loss) and outcome.steps == 0
    assert outcome.seconds == 3.0 and outcome.exit_code == exit_code


def test_a_run_that_never_ran_a_container_is_an_error(tmp_path):
    launched = LaunchOutcome("r-1", "rejected_by_validator", "rejected", tmp_path)
    outcome = outcome_from_launch(launched, 0.5)
    assert (outcome.status, outcome.exit_code, outcome.events) == ("error", None, ())


def test_failed_exit_keeps_failed_only_when_a_summary_was_accepted(tmp_path):
    assert outcome_from_launch(_launched(tmp_path, "failed", None, 1), 1.0).status == "error"
    failed = RunSummary(status="failed", epochs=1, steps=5)
    outcome = outcome_from_launch(_launched(tmp_path, "failed", failed, 1), 1.0)
    assert outcome.status == "failed" and math.isnan(outcome.final_loss) and outcome.steps == 5


def test_completed_run_reads_losses_from_the_accepted_summary(tmp_path):
    outcome = outcome_from_launch(_launched(tmp_path, "completed"), 12.5)
    assert (outcome.status, outcome.final_loss, outcome.best_loss) == ("completed", 0.07, 0.06)
    assert outcome.steps == 400 and outcome.events == () and outcome.exit_code == 0


def test_nan_loss_in_the_summary_stays_nan(tmp_path):
    final = SummaryPoint(0, 9, {"val/loss": math.nan})
    diverged = RunSummary(status="diverged", epochs=1, steps=9, final=final)
    outcome = outcome_from_launch(_launched(tmp_path, "diverged", diverged, 3), 1.0)
    assert outcome.status == "diverged" and math.isnan(outcome.final_loss) and math.isnan(outcome.best_loss)


def test_both_executors_give_the_same_outcome_from_the_same_reader(tmp_path):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    decision = decision_event(201, "divergence", {"loss": 9.5}, "rollback", {"factor": 0.1})
    lines = [decision, experience_event(decision, "recovered", 1.0, {"steps_after": 96.0})]
    (artifacts / "monitor_events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    summary = {
        "status": "completed",
        "epochs": 2,
        "steps": 300,
        "best": {"epoch": 1, "step": 300, "val/loss": 0.11},
        "final": {"epoch": 1, "step": 300, "val/loss": 0.11},
    }
    (artifacts / "summary.json").write_text(json.dumps(summary))
    accepted = read_artifacts(artifacts)  # the sandbox's reader, as run_container uses it
    assert accepted.accepted
    launched = _launched(tmp_path, "completed", artifacts=accepted)
    sandboxed, host = outcome_from_launch(launched, 1.0), read_outcome(artifacts, 0, 1.0)
    assert sandboxed.events == host.events and len(host.events) == 2
    assert sandboxed.events[0].action == "rollback" and sandboxed.events[0].step == 201
    for name in ("status", "final_loss", "best_loss", "steps", "rejection"):
        assert getattr(sandboxed, name) == getattr(host, name), name


def _request(tmp_path: Path, condition: str = "lr_spike_digits", seed: int = 0, monitored: bool = True):
    overrides = ("trainer=constant", f"experiment.seed={seed}", f"monitor.enabled={str(monitored).lower()}")
    return RunRequest(condition, "digits", overrides, seed, monitored, tmp_path / "run")


def test_run_ids_follow_the_sandbox_rules_and_never_repeat(tmp_path):
    long = _request(tmp_path, "c" + "_x" * 23, seed=2**31 - 1, monitored=False)
    ids = {bench_run_id(long) for _ in range(50)}
    assert len(ids) == 50
    assert all(RUN_ID.fullmatch(i) and i.startswith("mb-c-x") and "-s2147483647-sha-" in i for i in ids)
    assert bench_run_id(_request(tmp_path)).startswith("mb-lr-spike-digits-s0-mon-")


def test_launch_request_carries_the_run_as_asked(tmp_path):
    executor = SandboxExecutor(tmp_path / "data", "gvisor", timeout_s=99.0, runtime_image="rt:a")
    request = _request(tmp_path)
    launch = executor.request_for(request)
    assert launch.overrides == request.overrides and launch.experiment == "digits"
    assert launch.out_dir == request.out_dir and launch.data_dir == (tmp_path / "data").resolve()
    assert (launch.isolation, launch.timeout_s, launch.cpus, launch.memory) == ("gvisor", 99.0, 1.0, "2g")
    assert launch.campaign == BENCH_CAMPAIGN and launch.keep_image is False
    assert launch.runtime_image == "rt:a" and RUN_ID.fullmatch(launch.run_id or "")


def test_unknown_isolation_is_bad_input():
    with pytest.raises(BadInput, match="kvm"):
        SandboxExecutor(isolation="kvm")


def test_a_run_that_cannot_start_is_an_error_with_a_record(tmp_path):
    def refuse(resolved: ResolvedConfig, request: LaunchRequest) -> LaunchOutcome:
        raise BadRunInput("memory 1 bytes is below 64 MiB")

    outcome = SandboxExecutor(launch=refuse).run(_request(tmp_path))
    assert outcome.status == "error" and math.isnan(outcome.final_loss)
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "failed_to_start" and "64 MiB" in record["reason"]


@pytest.mark.parametrize("error", [EngineUnavailable("no Docker engine answered"), ImageUnavailable("gone")])
def test_a_broken_environment_stops_the_bench(tmp_path, error):
    def broken(resolved: ResolvedConfig, request: LaunchRequest) -> LaunchOutcome:
        raise error

    with pytest.raises(type(error)):
        SandboxExecutor(launch=broken).run(_request(tmp_path))
    assert not (tmp_path / "run").exists()
