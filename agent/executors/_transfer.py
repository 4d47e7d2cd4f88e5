"""What crosses from a node back to the head: a run's outcome and its files, bounded both ways.

The node packs (`pack_run`) what `launch_run` left in its node-local folder: the host facts of
run.json, stdout.log and the artifacts the node's reader accepted, each file capped at the
reader's own cap and all of them at `MAX_TRANSFER_BYTES`. The head (`receive`) never trusts the
bytes more than it trusts a container's: it stages them and copies them into the run folder
through `copy_artifacts`, the one hostile reader, then builds the `RunResult` it records from
what that reader accepted. The node's observations (exit code, OOM flag, timeout, the trusted
scores) are Sentinel's own code's and are taken as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sentinel.contract.vocabulary import FILE_NAME
from sentinel.sandbox.artifacts import DEFAULT_LIMITS, KNOWN_FILES, copy_artifacts

__all__ = ["MAX_TRANSFER_BYTES", "NodeReport", "pack_run", "receive"]

MAX_TRANSFER_BYTES = 256 * 1024 * 1024  # every file of one run together
MAX_RECORD_BYTES = 64 * 1024  # run.json, validator.json, stdout.log (its tail is 64 KiB already)
# run.json keys that describe how the node built and ran the run (not RunResult fields).
RECORD_KEYS = (
    "image_id",
    "runtime_image",
    "limits",
    "config_sha256",
    "code_sha256",
    "approval_digest",
    "image_build_s",
    "unsafe_skip_validation",
    "kept_image",
)
RESULT_KEYS = ("exit_code", "oom_killed", "timed_out", "isolation", "image", "seconds")


@dataclass(frozen=True, slots=True)
class NodeReport:
    """One run as a node saw it: plain values only, so it pickles the same on any Ray version."""

    run_id: str
    status: str
    reason: str
    config: dict[str, Any]
    node: dict[str, str]  # node_id, hostname
    result: dict[str, Any] = field(default_factory=dict)  # RESULT_KEYS; empty when nothing ran
    record: dict[str, Any] = field(default_factory=dict)  # RECORD_KEYS of the node's run.json
    trusted: dict[str, Any] | None = None  # TrustedMetrics.to_json()
    validator_report: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # artifact name -> bytes
    stdout: bytes = b""
    overflow: str = ""  # Sentinel's wording when the files exceeded a transfer cap


def _read_capped(path: Path, cap: int) -> bytes | None:
    """A regular file's bytes if it holds at most `cap` bytes; never follows a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(cap + 1)
    finally:
        os.close(fd)
    return data if len(data) <= cap else None


def pack_run(outcome: Any, node: dict[str, str], total_cap: int = MAX_TRANSFER_BYTES) -> NodeReport:
    """Node side: a `LaunchOutcome` and its node-local folder as a bounded `NodeReport`."""
    out_dir = Path(outcome.out_dir)
    result = outcome.result
    base = {"run_id": outcome.run_id, "status": outcome.status, "reason": outcome.reason}
    if result is None:  # the validator rejected the model file: nothing ran
        return NodeReport(**base, config=outcome.config, node=node, validator_report=outcome.validator_report)
    files: dict[str, bytes] = {}
    overflow, total = "", 0
    artifacts = out_dir / "artifacts"
    for name in KNOWN_FILES:  # the only files copy_artifacts keeps on any host
        if not (artifacts / name).exists():
            continue
        data = _read_capped(artifacts / name, DEFAULT_LIMITS.file_cap(name))
        if data is None or total + len(data) > total_cap:
            overflow = f"{name} is over the executor's transfer cap"
            files = {}
            break
        files[name] = data
        total += len(data)
    record: dict[str, Any] = {}
    raw = _read_capped(out_dir / "run.json", MAX_RECORD_BYTES) if (out_dir / "run.json").exists() else None
    if raw is not None:
        record = {k: v for k, v in json.loads(raw).items() if k in RECORD_KEYS}
    stdout = (
        _read_capped(out_dir / "stdout.log", MAX_RECORD_BYTES) if (out_dir / "stdout.log").exists() else b""
    )
    trusted = result.trusted.to_json() if result.trusted is not None else None
    return NodeReport(
        **base,
        config=outcome.config,
        node=node,
        result={k: getattr(result, k) for k in RESULT_KEYS},
        record=record,
        trusted=trusted,
        files=files,
        stdout=stdout or b"",
        overflow=overflow,
    )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


def _stage(out_dir: Path, files: dict[str, bytes]) -> Path:
    """Write the received files into a fresh folder beside the run's, for the hostile reader."""
    staging = out_dir / ".received"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, data in files.items():
        if name not in KNOWN_FILES or not FILE_NAME.fullmatch(name) or not isinstance(data, bytes):
            continue  # pack_run sends only these; anything else is not the node's code
        fd = os.open(
            staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return staging


def receive(report: NodeReport, out_dir: Path, executor: dict[str, Any]) -> Any:
    """Head side: the run folder as `launch_run` leaves it, and the `LaunchOutcome` to record."""
    import yaml

    from sentinel.agent.launch import LaunchOutcome
    from sentinel.contract.records import RunResult, TrustedMetrics
    from sentinel.sandbox.run import _judge_artifacts, write_run_record

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(report.config, sort_keys=True))
    if report.validator_report is not None:
        (out_dir / "validator.json").write_text(
            json.dumps(report.validator_report, indent=2, sort_keys=True) + "\n"
        )
        outcome = LaunchOutcome(
            report.run_id,
            report.status,
            report.reason,
            out_dir,
            report.config,
            validator_report=report.validator_report,
        )
        _write_json(out_dir / "run.json", {**outcome.to_json(), "executor": executor})
        return outcome
    staging = _stage(out_dir, report.files)
    try:
        artifacts = copy_artifacts(staging, out_dir / "artifacts")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (out_dir / "stdout.log").write_bytes(report.stdout)
    status, reason = report.status, report.reason
    if report.overflow and status not in {"timeout", "oom", "killed"}:
        status, reason = "artifact_rejected", report.overflow
    else:
        status, reason = _judge_artifacts(status, artifacts) or (status, reason)
    trusted = None
    if report.trusted is not None:
        trusted = TrustedMetrics(
            MappingProxyType(dict(report.trusted["values"])),
            report.trusted["mismatch"],
            report.trusted["seconds"],
        )
    result = RunResult(
        run_id=report.run_id,
        status=status,
        reason=reason,
        out_dir=out_dir,
        log_tail=report.stdout.decode("utf-8", "replace"),
        artifacts=artifacts,
        trusted=trusted,
        **report.result,
    )
    write_run_record(result, {**report.record, "executor": executor})
    return LaunchOutcome(report.run_id, status, reason, out_dir, report.config, result=result)
