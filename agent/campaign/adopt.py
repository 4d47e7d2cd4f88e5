"""Adopt a finished attempt whose host died before recording it, instead of training again.

A `kill -9` between a training container's exit and the store's commit used to rerun the
whole training on resume. The host leaves two durable traces of a finished container, both
its own writing: `run.json` (written atomically right after training, stage "trained", and
again after trusted evaluation, stage "final") and, for the short stretch before that, an exit
note next to the artifact volume (`sandbox.run.note_exit`). Resume adopts the attempt from
them: the artifacts are read again through the hostile reader, the verdict is recomputed from
what the host observed, and the attempt must match this proposal (run id, approval digest,
config digest; for an exit note, the per-run image's labels). Anything that does not match is
not adopted: the proposal is simply run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel.agent.goals import SandboxSettings
from sentinel.agent.store import FINISHED_STATUSES, FeedbackStore, ProposalRecord
from sentinel.contract.records import RunArtifacts
from sentinel.sandbox import engine as engine_module
from sentinel.sandbox.artifacts import copy_artifacts, read_artifacts
from sentinel.sandbox.engine import RUN_LABEL, Engine
from sentinel.sandbox.errors import SandboxError
from sentinel.sandbox.images import LABEL_PREFIX, RUN_REPO
from sentinel.sandbox.run import STAGE_LABEL, exit_note, judge
from sentinel.sandbox.volume import VOLUMES_DIR

__all__ = ["Adopted", "adopt_finished", "approval_digest", "container_started", "recover_attempts"]

MAX_RECORD_BYTES = 256 * 1024
NOT_EVALUATED = "not ranked: the host died during its trusted evaluation"
NEVER_EVALUATED = "not ranked: the host died before its trusted evaluation"
NEVER_STARTED = "0001-01-01"  # the engine's StartedAt of a container that was created only


@dataclass(frozen=True, slots=True)
class Adopted:
    """What `record_run` needs for an attempt that finished while its host was dead."""

    status: str
    reason: str
    exit_code: int | None
    seconds: float | None
    image: str
    isolation: str | None
    artifacts: RunArtifacts | None
    trusted: dict[str, float | None] | None
    source: str  # "run.json" or "exit note"


def _json_file(path: Path) -> dict[str, Any] | None:
    """A small JSON object the host wrote, or None (missing, a link, too big, not an object)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _trusted(record: dict[str, Any]) -> dict[str, float | None] | None:
    values = (record.get("trusted") or {}).get("values") if isinstance(record.get("trusted"), dict) else None
    if not isinstance(values, dict):
        return None
    return {str(k): _seconds(v) for k, v in values.items()}


def container_started(engine: Engine, run_id: str, attempt_dir: Path) -> bool:
    """Whether this attempt's training container ever started (only such attempts count)."""
    if (
        any((attempt_dir / name).exists() for name in ("run.json", "stdout.log"))
        or exit_note(run_id).exists()
    ):
        return True
    for container_id in engine.containers_with_label(f"{RUN_LABEL}={run_id}"):
        info = engine.container_info(container_id) or {}
        started = str((info.get("State") or {}).get("StartedAt") or "")
        if started and not started.startswith(NEVER_STARTED):
            return True
    return False


def adopt_finished(
    engine: Engine, run_id: str, attempt_dir: Path, approval_digest: str, config_sha256: str | None = None
) -> Adopted | None:
    """The attempt's result when its training container finished, else None (run it again).

    `config_sha256` is the digest the proposal was validated with; run.json must carry it (or,
    from a launch that digests the config text alone, the sha256 of the attempt's config.yaml)."""
    record = _json_file(attempt_dir / "run.json")
    if record is not None:
        return _from_record(record, run_id, attempt_dir, approval_digest, config_sha256)
    note = _json_file(exit_note(run_id))
    if note is None or note.get("run_id") != run_id:
        note = _exited_container(engine, run_id)  # killed before it even noted the exit
    if note is not None and note.get("stage") == "training":
        return _from_note(engine, note, run_id, attempt_dir, approval_digest)
    return None


def _exited_container(engine: Engine, run_id: str) -> dict[str, Any] | None:
    """The same facts as an exit note, read from the engine's record of an exited container."""
    for container_id in engine.containers_with_label(f"{RUN_LABEL}={run_id}"):
        info = engine.container_info(container_id) or {}
        state, labels = info.get("State") or {}, (info.get("Config") or {}).get("Labels") or {}
        if state.get("Running") or str(state.get("StartedAt") or NEVER_STARTED).startswith(NEVER_STARTED):
            continue
        return {
            "run_id": run_id,
            "stage": labels.get(STAGE_LABEL, "training"),
            "exit_code": state.get("ExitCode"),
            "oom_killed": bool(state.get("OOMKilled")),
            "timed_out": False,  # only a live host times a run out; the supervisor's exit says 124
            "seconds": _elapsed(str(state.get("StartedAt")), str(state.get("FinishedAt"))),
        }
    return None


def _elapsed(started: str, finished: str) -> float | None:
    """Seconds between two engine timestamps (RFC 3339 with nanoseconds)."""
    from datetime import datetime

    def parse(text: str) -> datetime:
        head, _, frac = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")

    try:
        return round(max(0.0, (parse(finished) - parse(started)).total_seconds()), 3)
    except ValueError:
        return None


def _from_record(
    record: dict[str, Any], run_id: str, attempt_dir: Path, digest: str, config_sha256: str | None
) -> Adopted | None:
    status = record.get("status")
    config_digests = {_sha256(attempt_dir / "config.yaml"), config_sha256} - {None}
    if (
        record.get("run_id") != run_id
        or record.get("approval_digest") != digest
        or record.get("config_sha256") not in config_digests
        or status not in FINISHED_STATUSES
        or status in {"killed", "rejected_by_validator", "rejected_by_reviewer"}
    ):
        return None
    exit_code, oom, timed_out = (
        _int_or_none(record.get("exit_code")),
        record.get("oom_killed") is True,
        record.get("timed_out") is True,
    )
    artifacts = read_artifacts(attempt_dir / "artifacts") if (attempt_dir / "artifacts").is_dir() else None
    observed, reason = judge(exit_code, oom, timed_out, artifacts)
    final = record.get("stage", "final") == "final"
    if (
        final
        and status in {"integrity_mismatch", "artifact_rejected"}
        and observed in {"completed", "diverged"}
    ):
        observed = str(status)  # the evaluation's verdict stands; it only ever lowers a run
        reason = str(record.get("reason") or reason)
    if observed == "killed":
        return None  # killed from outside: it never finished
    return Adopted(
        status=observed,
        reason=f"{reason} (adopted after the host died)" if final else f"{reason}; {NOT_EVALUATED}",
        exit_code=exit_code,
        seconds=_seconds(record.get("seconds")),
        image=str(record.get("image") or ""),
        isolation=record.get("isolation") if record.get("isolation") in {"runc", "gvisor"} else None,
        artifacts=artifacts,
        trusted=_trusted(record) if final and observed == status else None,
        source="run.json",
    )


def _from_note(
    engine: Engine, note: dict[str, Any], run_id: str, attempt_dir: Path, digest: str
) -> Adopted | None:
    try:
        labels = engine.image_labels(f"{RUN_REPO}:{run_id}")
    except SandboxError:
        return None  # the image that would prove what ran is gone: run it again
    if labels.get(f"{LABEL_PREFIX}approval_digest") != digest or not (attempt_dir / "config.yaml").is_file():
        return None
    volume = VOLUMES_DIR / run_id
    target = attempt_dir / "artifacts"
    if os.path.ismount(volume):  # the copy may have been cut short: copy again from the volume
        shutil.rmtree(target, ignore_errors=True)
        artifacts = copy_artifacts(volume, target)
    elif target.is_dir():
        artifacts = read_artifacts(target)
    else:
        return None
    exit_code = _int_or_none(note.get("exit_code"))
    status, reason = judge(
        exit_code, note.get("oom_killed") is True, note.get("timed_out") is True, artifacts
    )
    if status == "killed":
        return None
    return Adopted(
        status=status,
        reason=f"{reason}; {NEVER_EVALUATED}",
        exit_code=exit_code,
        seconds=_seconds(note.get("seconds")),
        image=f"{RUN_REPO}:{run_id}",
        isolation=labels.get(f"{LABEL_PREFIX}isolation") if labels.get(f"{LABEL_PREFIX}isolation") else None,
        artifacts=artifacts,
        trusted=None,
        source="exit note",
    )


def approval_digest(store: FeedbackStore, proposal: ProposalRecord) -> str:
    """What the per-run image is labelled with: the reviewed bundle's sha256, else a digest of the
    proposal, its config and its approver (deterministic, so a resume can check an attempt)."""
    approvals = store.approvals(proposal.id)
    if approvals and approvals[-1].bundle_sha256:
        return approvals[-1].bundle_sha256
    source = f"{proposal.id}:{proposal.config_sha256}:{approvals[-1].reviewer if approvals else ''}"
    return hashlib.sha256(source.encode()).hexdigest()


def recover_attempts(
    store: FeedbackStore,
    runs_dir: Path,
    campaign_id: str,
    note: Callable[[str], None],
    sandbox: SandboxSettings | None = None,
) -> None:
    """Before a resumed loop does anything new: adopt attempts that finished while their host was
    dead, reap what dead hosts left, then requeue the rest (counting only started attempts)."""
    from sentinel.sandbox.run import clear_exit_note, reap_orphans

    engine = engine_module.Engine()  # looked up at call time: tests fake the engine at this seam
    started: dict[str, bool] = {}
    for stale in store.stale_runs(campaign_id=campaign_id):
        if stale.owner_alive is not False:
            continue
        run = store.get_run(stale.run_id)
        attempt_dir = runs_dir / campaign_id / stale.run_id
        digest = approval_digest(store, run.proposal)
        found = adopt_finished(engine, stale.run_id, attempt_dir, digest, run.proposal.config_sha256)
        if found is None:
            started[stale.run_id] = container_started(engine, stale.run_id, attempt_dir)
            continue
        if found.source != "run.json":  # the exit note and the container go next: keep the facts
            _persist_trained(found, stale.run_id, attempt_dir, digest, run.proposal.config_sha256)
        _release_leftovers(engine, stale.run_id)  # copied already; the evaluation needs the names
        if sandbox is not None and found.trusted is None and found.status in {"completed", "diverged"}:
            found = evaluate_adopted(engine, found, stale.run_id, attempt_dir, sandbox)
        store.record_run(
            stale.run_id,
            found.status,
            reason=found.reason,
            artifacts=found.artifacts,
            exit_code=found.exit_code,
            duration_s=found.seconds,
            image=found.image or None,
            isolation=found.isolation,
            out_dir=str(attempt_dir),
            trusted=found.trusted,
            container_started=True,
        )
        clear_exit_note(stale.run_id)
        note(f"run {stale.run_id} finished while its host was dead: adopted from its {found.source}")
    reaped = reap_orphans(engine)
    if reaped:
        note(f"cleaned up {len(reaped)} container(s), image(s) or volume(s) left by dead processes")
    for stale, action in store.recover_stale(campaign_id=campaign_id, started=started):
        note(f"run {stale.run_id} was interrupted ({stale.cause}); {action}")


def _persist_trained(
    found: Adopted, run_id: str, attempt_dir: Path, digest: str, config_sha256: str | None
) -> None:
    """run.json at stage `trained` for an attempt adopted from an exit note or the engine's
    record, written before those go: a host killed during the evaluation that follows leaves a
    trace the next resume adopts again, instead of training a third time."""
    record = {
        "run_id": run_id,
        "status": found.status,
        "reason": found.reason,
        "exit_code": found.exit_code,
        "oom_killed": False,
        "timed_out": False,
        "seconds": found.seconds,
        "image": found.image,
        "isolation": found.isolation,
        "approval_digest": digest,
        "config_sha256": config_sha256 or _sha256(attempt_dir / "config.yaml"),
        "stage": "trained",
    }
    tmp = attempt_dir / "run.json.tmp"
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    tmp.replace(attempt_dir / "run.json")


def evaluate_adopted(
    engine: Engine, found: Adopted, run_id: str, attempt_dir: Path, sandbox: SandboxSettings
) -> Adopted:
    """Run the trusted evaluation the dead host never finished, from the attempt's own image
    (still on the engine: adoption comes before reaping). Training is not repeated; when the
    image is gone or the evaluation cannot run, the run stays recorded and unranked."""
    import dataclasses

    import yaml

    from sentinel.contract.records import RunResult
    from sentinel.sandbox.errors import EngineUnavailable
    from sentinel.sandbox.evaluation import PendingEvaluation
    from sentinel.sandbox.paths import DATA_DIR
    from sentinel.sandbox.spec import RunLimits, RunSpec, parse_size

    image = f"{RUN_REPO}:{run_id}"
    try:
        labels = engine.image_labels(image)
        config = yaml.safe_load((attempt_dir / "config.yaml").read_text(encoding="utf-8"))
        dataset = str(config["dataset"]["name"])
        cap = int(float(config["trainer"].get("checkpoint_max_mb", 16.0)) * 1024 * 1024)
        limits = RunLimits(
            timeout_s=sandbox.timeout_s, cpus=sandbox.cpus, memory_bytes=parse_size(sandbox.memory)
        )
        spec = RunSpec(
            run_id=run_id,
            image=image,
            data_dir=DATA_DIR,
            isolation=found.isolation or sandbox.isolation,
            limits=limits,
            labels=tuple(
                sorted((k.removeprefix(LABEL_PREFIX), v) for k, v in labels.items() if k != RUN_LABEL)
            ),
        )
        result = RunResult(
            run_id=run_id,
            status=found.status,
            reason=found.reason.split("; not ranked", 1)[0],
            exit_code=found.exit_code,
            oom_killed=False,
            timed_out=False,
            isolation=spec.isolation,
            image=image,
            seconds=found.seconds or 0.0,
            out_dir=attempt_dir,
            log_tail="",
            artifacts=found.artifacts,
        )
        with PendingEvaluation(engine, spec, dataset, cap) as evaluation:
            evaluated = evaluation.finish(result)
    except EngineUnavailable:
        raise
    except (SandboxError, OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return found
    trusted = evaluated.trusted.values if evaluated.trusted is not None else None
    return dataclasses.replace(
        found,
        status=evaluated.status,
        reason=f"{evaluated.reason} (adopted after the host died; evaluated on resume)",
        trusted=dict(trusted) if trusted is not None else None,
    )


def _release_leftovers(engine: Engine, run_id: str) -> None:
    """The dead host's containers and artifact volumes of this attempt (its files are in the run
    folder now); the run image stays until the reaper, so the evaluation can still use it."""
    from sentinel.sandbox.volume import remove_volume

    for container_id in engine.containers_with_label(f"{RUN_LABEL}={run_id}"):
        engine.remove_container(container_id)  # e.g. its evaluation container, still waiting
    for name in (run_id, f"{run_id[:58]}.eval"):
        try:
            remove_volume(name)
        except SandboxError:
            continue  # a reaper is at it; the evaluation then fails and the run stays unranked
        (VOLUMES_DIR / f"{name}.owner").unlink(missing_ok=True)
