"""One container's life: create, start, watch, stop, read back, always remove.

Run status comes only from what the host observed: the timeout it enforced, the engine's OOM
flag and the exit code. What the run wrote (summary.json, stdout) never upgrades a status;
artifacts that break the contract turn the run into `artifact_rejected`.

Both things a run touches outside Python are injected: the `Engine` every function here takes
as an argument, and `volume_factory`, which makes the run's artifact volume. Unit tests drive
the status rules with a scripted engine and plain-folder volumes (tests/fakes/); real-container
tests use the real ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sentinel.contract.records import RunArtifacts, RunResult
from sentinel.sandbox.artifacts import copy_artifacts
from sentinel.sandbox.engine import (
    DEADLINE_LABEL,
    OWNER_LABEL,
    OWNER_START_LABEL,
    RUN_LABEL,
    Engine,
    owner_labels,
)
from sentinel.sandbox.errors import EngineUnavailable, SandboxError
from sentinel.sandbox.hardening import container_command, create_kwargs, host_config_kwargs
from sentinel.sandbox.images import RUN_REPO
from sentinel.sandbox.process import owner_token, token_alive
from sentinel.sandbox.spec import RunSpec
from sentinel.sandbox.volume import VOLUMES_DIR, ArtifactVolume, leftover_volumes, remove_volume

STAGE_LABEL = "io.sentinel.stage"  # "evaluation" on the trusted-evaluation container; absent: training
DEADLINE_GRACE_S = 5.0  # the in-container supervisor ends a run at its limit; the reaper 5 s later
LOG_TAIL_BYTES = 64 * 1024
POLL_S = 0.25
# The runtime's own exit codes (sandbox/runtime/__main__.py); anything else is a failure.
RUNTIME_EXIT_STATUS = {0: "completed", 3: "diverged"}
DEADLINE_EXIT = 124  # the in-container supervisor's deadline (runtime/supervisor.py)
KILLED_EXIT_CODES = {137, 143}  # SIGKILL / SIGTERM from outside, without the OOM flag

OnPoll = Callable[[Path], None]
T = TypeVar("T")
#: Makes a run's artifact volume from (name, size cap in bytes); the size-capped loop mount here.
volume_factory: Callable[[str, int], ArtifactVolume] = ArtifactVolume


def _status_from_observation(exit_code: int | None, oom: bool, timed_out: bool) -> tuple[str, str]:
    if timed_out:
        return "timeout", "the host stopped the run at its wall-clock limit"
    if exit_code == DEADLINE_EXIT:
        return "timeout", "the run's own supervisor stopped it at its wall-clock limit"
    if oom:
        return "oom", "the kernel killed the run at its memory limit"
    if exit_code in RUNTIME_EXIT_STATUS:
        status = RUNTIME_EXIT_STATUS[exit_code]  # type: ignore[index]
        return status, f"the run exited with code {exit_code}"
    if exit_code in KILLED_EXIT_CODES:
        return "killed", f"the run was killed (exit code {exit_code})"
    return "failed", f"the run exited with code {exit_code}"


def _judge_artifacts(status: str, artifacts: RunArtifacts) -> tuple[str, str] | None:
    """A contract violation, or a summary that disagrees with what the host saw, rejects the run."""
    if status in {"timeout", "oom", "killed"}:
        return None  # the host's observation already says more than any file could
    if artifacts.rejection:
        return "artifact_rejected", artifacts.rejection
    if status in {"completed", "diverged"}:
        if artifacts.summary is None:
            return "artifact_rejected", "summary.json is missing"
        if artifacts.summary.status != status:
            return "artifact_rejected", "summary.json status disagrees with the observed exit code"
    return None


def judge(
    exit_code: int | None, oom: bool, timed_out: bool, artifacts: RunArtifacts | None
) -> tuple[str, str]:
    """(status, reason) of a training container from what the host saw and what the reader found;
    the same verdict `run_container` gives, for a run adopted after its host died."""
    status, reason = _status_from_observation(exit_code, oom, timed_out)
    if artifacts is None:
        return status, reason
    return _judge_artifacts(status, artifacts) or (status, reason)


@dataclass(frozen=True, slots=True)
class Execution:
    """What the host itself observed of one container, start to end."""

    exit_code: int | None
    oom_killed: bool
    timed_out: bool
    seconds: float
    log_tail: bytes


class StartedContainer:
    """A started container and its artifact volume; `wait()` sees it end, `close()` always cleans.

    Start one ahead of time when its inputs are not ready yet (the evaluation container imports
    torch and builds its model while training runs, then waits for the checkpoint): `path` is the
    host's side of its `/artifacts`, where the host may stage files at any time."""

    def __init__(
        self,
        engine: Engine,
        spec: RunSpec,
        stage: Callable[[Path], None] | None = None,
        volume_name: str | None = None,
    ) -> None:
        self.engine, self.container_id = engine, None
        labels = {
            **dict(spec.labels),
            RUN_LABEL: spec.run_id,
            **owner_labels(),
            # Past this, any reaper stops the container even if its host is gone (or hung).
            DEADLINE_LABEL: f"{time.time() + spec.limits.timeout_s + DEADLINE_GRACE_S:.0f}",
        }
        self.spec = _with_labels(spec, labels)
        self.volume_name = volume_name or spec.run_id
        _claim_volume(self.volume_name)
        self._volume = volume_factory(self.volume_name, spec.limits.artifact_bytes)
        try:
            if stage is not None:
                stage(self._volume.path)
            host_config = engine.create_host_config(**host_config_kwargs(self.spec, self._volume.path))
            self.container_id = engine.create_container(
                spec.image, container_command(self.spec), host_config, **create_kwargs(self.spec)
            )
            self.started = time.monotonic()
            engine.start(self.container_id)
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> Path:
        return self._volume.path

    def wait(self, on_poll: OnPoll | None = None, poll_s: float = POLL_S) -> Execution:
        """Until the container exits, or the host's deadline kills it; the container stays."""
        assert self.container_id is not None
        engine, timed_out = self.engine, False
        deadline = self.started + self.spec.limits.timeout_s
        state = engine.state(self.container_id)
        while state.running:
            if time.monotonic() >= deadline:
                engine.kill(self.container_id)
                timed_out = True
            time.sleep(poll_s)
            if on_poll is not None:
                on_poll(self.path)
            state = engine.state(self.container_id)
        seconds = round(time.monotonic() - self.started, 3)
        log_tail = engine.logs_tail(self.container_id, LOG_TAIL_BYTES)
        if STAGE_LABEL not in dict(self.spec.labels):  # training: adoptable if the host dies now
            note_exit(self.spec, state.exit_code, state.oom_killed, timed_out, seconds)
        return Execution(state.exit_code, state.oom_killed, timed_out, seconds, log_tail)

    def close(self) -> None:
        """Remove the container (killed if still running) and the volume; safe to call twice."""
        try:
            if self.container_id is not None:
                self.engine.remove_container(self.container_id)
                self.container_id = None
        finally:
            self._volume.close()
            _release_volume(self.volume_name)

    def __enter__(self) -> StartedContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def execute(
    engine: Engine,
    spec: RunSpec,
    collect: Callable[[Path], T],
    on_poll: OnPoll | None = None,
    stage: Callable[[Path], None] | None = None,
) -> tuple[Execution, T]:
    """Run `spec` to the end; `stage` may put inputs into the fresh artifact volume before the
    container starts, and `collect` reads it before it is torn down.

    The container and the volume never outlive this call (a `kill -9` of the host is left to
    `reap_orphans` and to the container's own supervisor deadline)."""
    with StartedContainer(engine, spec, stage) as container:
        seen = container.wait(on_poll)
        engine.remove_container(container.container_id)  # type: ignore[arg-type]
        container.container_id = None
        return seen, collect(container.path)


def run_container(engine: Engine, spec: RunSpec, out_dir: Path, on_poll: OnPoll | None = None) -> RunResult:
    """Run a training `spec` to the end and return what happened, artifacts copied to `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seen, artifacts = execute(
        engine, spec, lambda volume: copy_artifacts(volume, out_dir / "artifacts"), on_poll
    )
    (out_dir / "stdout.log").write_bytes(seen.log_tail)
    status, reason = _status_from_observation(seen.exit_code, seen.oom_killed, seen.timed_out)
    status, reason = _judge_artifacts(status, artifacts) or (status, reason)
    return RunResult(
        run_id=spec.run_id,
        status=status,
        reason=reason,
        exit_code=seen.exit_code,
        oom_killed=seen.oom_killed,
        timed_out=seen.timed_out,
        isolation=spec.isolation,
        image=spec.image,
        seconds=seen.seconds,
        out_dir=out_dir,
        log_tail=seen.log_tail.decode("utf-8", "replace"),
        artifacts=artifacts,
    )


def _with_labels(spec: RunSpec, labels: dict[str, str]) -> RunSpec:
    return RunSpec(
        spec.run_id,
        spec.image,
        spec.data_dir,
        spec.isolation,
        spec.limits,
        spec.command,
        tuple(sorted(labels.items())),
    )


def _owner_file(run_id: str) -> Path:
    return VOLUMES_DIR / f"{run_id}.owner"


def _claim_volume(run_id: str) -> None:
    VOLUMES_DIR.mkdir(parents=True, exist_ok=True)
    _owner_file(run_id).write_text(owner_token())


def _release_volume(run_id: str) -> None:
    _owner_file(run_id).unlink(missing_ok=True)  # the exit note stays until the run is recorded


def clear_exit_note(run_id: str) -> None:
    """The run's final record exists: the note has served its purpose."""
    exit_note(run_id).unlink(missing_ok=True)


def exit_note(run_id: str) -> Path:
    return VOLUMES_DIR / f"{run_id}.exit"


def note_exit(spec: RunSpec, exit_code: int | None, oom: bool, timed_out: bool, seconds: float) -> None:
    """What the host saw of a finished container, written before the container is removed, so a
    host killed between the exit and its record can still adopt the run (`sandbox.salvage`)."""
    note = {
        "run_id": spec.run_id,
        "stage": dict(spec.labels).get(STAGE_LABEL, "training"),
        "exit_code": exit_code,
        "oom_killed": oom,
        "timed_out": timed_out,
        "seconds": round(seconds, 3),
    }
    tmp = exit_note(spec.run_id).with_suffix(".exit.tmp")
    tmp.write_text(json.dumps(note))
    tmp.replace(exit_note(spec.run_id))


def _owner_dead(labels: dict[str, str]) -> bool:
    """Its owner is gone: the pid runs no more, or runs a later process (pid reuse)."""
    pid, start = labels.get(OWNER_LABEL, ""), labels.get(OWNER_START_LABEL, "")
    return not token_alive(f"{pid}:{start}" if start else pid)


def _expired(labels: dict[str, str], now: float) -> bool:
    deadline = labels.get(DEADLINE_LABEL, "")
    return deadline.isdigit() and now > int(deadline)


def reap_orphans(engine: Engine) -> list[str]:
    """Remove containers, run images and volumes whose owning host process is gone, and stop
    any run container past its deadline (its limit plus a grace), whoever owns it.

    A `kill -9` of the host process skips every `finally`; the next Sentinel command calls this,
    so nothing a killed run started survives it. Per-run images are found by their own labels
    (run id and owner), not only through containers: a host killed after building the image but
    before creating the container leaves an image and nothing else. Runs of live processes are
    left alone, apart from the deadline.
    """
    reaped: list[str] = []
    now = time.time()
    for container_id in engine.containers_with_label(RUN_LABEL):
        try:  # other Sentinel processes reap the same engine: losing a race is not an error
            labels = engine.container_labels(container_id)
            if labels is None:
                continue  # ended and removed meanwhile: nothing to reap
            if not _owner_dead(labels):
                if _expired(labels, now):
                    engine.kill(container_id)  # its host is alive and will record it as it ends
                continue
            engine.remove_container(container_id)
            engine.remove_image(f"{RUN_REPO}:{labels.get(RUN_LABEL, '')}")
        except EngineUnavailable:
            raise
        except SandboxError:
            continue
        reaped.append(labels.get(RUN_LABEL, container_id[:12]))
    for image_id in engine.images_with_label(OWNER_LABEL):
        try:
            labels = engine.image_labels(image_id)
            run_id = labels.get(RUN_LABEL, "")
            if not run_id or not _owner_dead(labels):
                continue
            engine.remove_image(f"{RUN_REPO}:{run_id}")
        except EngineUnavailable:
            raise
        except SandboxError:
            continue  # removed meanwhile, or still in use by a container being removed
        reaped.append(run_id)
    for run_id in leftover_volumes():
        if run_id.endswith(".owner"):
            _reap_stray_owner(run_id.removesuffix(".owner"))
            continue
        if run_id.endswith((".exit", ".exit.tmp")):
            continue
        owner_file = _owner_file(run_id)
        owner = owner_file.read_text().strip() if owner_file.exists() else ""
        if token_alive(owner):
            continue
        try:
            remove_volume(run_id)
        except SandboxError:
            continue  # another reaper is unmounting it right now
        owner_file.unlink(missing_ok=True)
        exit_note(run_id).unlink(missing_ok=True)
        reaped.append(run_id)
    return sorted(set(reaped))


def _reap_stray_owner(volume: str) -> None:
    """An owner file whose volume is gone (its process was killed between unmounting and letting
    go) is removed once that process is dead; a live owner's file is its claim and stays."""
    owner_file = _owner_file(volume)
    if (VOLUMES_DIR / volume).exists() or (VOLUMES_DIR / f"{volume}.img").exists():
        return  # the volume itself is handled (with this file) by the loop above
    try:
        owner = owner_file.read_text().strip()
    except OSError:
        return
    if not token_alive(owner):
        owner_file.unlink(missing_ok=True)


def write_run_record(result: RunResult, extra: dict[str, Any]) -> None:
    """run.json: what the host knows about the run (image, isolation, limits, timings, status)."""
    record = {**result.to_json(), **extra}
    tmp = result.out_dir / "run.json.tmp"
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(result.out_dir / "run.json")
