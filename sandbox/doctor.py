"""What this machine has for running sandboxed training, and (with fix) getting the rest.

Checks, in dependency order: Debian packages, engine reachable, runtimes (runc, runsc),
loop devices for the artifact volume, runtime image present and current, data present.
`fix=True` installs packages, registers runsc, starts dockerd, builds the image and prepares
data; each step is skipped when its check already passes, so it is idempotent and fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sentinel.sandbox import daemon
from sentinel.sandbox.engine import Engine
from sentinel.sandbox.errors import EngineUnavailable, SandboxError
from sentinel.sandbox.images import current_runtime_tag, ensure_runtime_image, prune_old_runtimes

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class DoctorReport:
    checks: tuple[Check, ...]
    fixed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def engine_ok(self) -> bool:
        return any(c.name == "engine" and c.ok for c in self.checks)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks], "fixed": list(self.fixed)}


def _engine_checks(engine: Engine, fix: bool, fixed: list[str], say: Progress) -> list[Check]:
    checks: list[Check] = []
    missing = daemon.missing_packages()
    if missing and fix:
        say(f"installing {', '.join(missing)}")
        fixed.append(daemon.install_packages(missing).detail)
        missing = daemon.missing_packages()
    checks.append(
        Check("packages", not missing, "all present" if not missing else f"missing: {', '.join(missing)}")
    )
    if fix:
        step = daemon.register_runsc()
        pid = daemon.running_daemon_pid()
        if step:
            fixed.append(step.detail)
            if pid and engine.ping():
                fixed.append(daemon.reload_daemon(pid).detail)
        if not engine.ping():
            say("starting dockerd")
            fixed.append(daemon.start_daemon(engine.ping).detail)
    if not engine.ping():
        checks.append(Check("engine", False, "no Docker engine answers; run `sentinel doctor --fix` as root"))
        return checks
    info = engine.info()
    checks.append(
        Check(
            "engine",
            True,
            f"Docker {info.get('ServerVersion', '?')}, cgroup v{info.get('CgroupVersion', '?')}",
        )
    )
    runtimes = engine.runtimes()
    checks.append(Check("runtime runc", "runc" in runtimes, "hardened default isolation"))
    checks.append(Check("runtime runsc", "runsc" in runtimes, "gVisor isolation (--isolation gvisor)"))
    loop_ok = Path("/dev/loop-control").exists() and os.geteuid() == 0
    checks.append(Check("artifact volume", loop_ok, "loop devices and root for the size-capped volume"))
    return checks


def run_doctor(
    fix: bool = False,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    prepare_data: Callable[[Path], object] | None = None,
    data_ready: Callable[[Path], bool] | None = None,
) -> DoctorReport:
    """Check (and with `fix`, repair) everything a sandboxed run needs; never raises for a missing part."""
    say = progress or (lambda _m: None)
    fixed: list[str] = []
    try:
        engine = Engine()
        checks = _engine_checks(engine, fix, fixed, say)
    except EngineUnavailable as err:
        return DoctorReport((Check("engine", False, str(err)),), tuple(fixed))
    if any(c.name == "engine" and c.ok for c in checks):
        tag = current_runtime_tag()
        present = engine.image_id(tag) is not None
        if not present and fix:
            try:
                ref = ensure_runtime_image(engine, progress=say)
                fixed.append(f"built {ref.tag} in {ref.seconds:.0f} s")
                present = True
            except SandboxError as err:
                checks.append(Check("runtime image", False, str(err)))
        if present and fix:
            pruned = prune_old_runtimes(engine, keep=tag)
            if pruned:
                fixed.append(f"removed {len(pruned)} outdated runtime image tag(s)")
        if not any(c.name == "runtime image" for c in checks):
            detail = (
                f"{tag} present" if present else f"{tag} missing or out of date: run `sentinel images build`"
            )
            checks.append(Check("runtime image", present, detail))
    if data_dir is not None and data_ready is not None:
        ready = data_ready(data_dir)
        if not ready and fix and prepare_data is not None:
            say("preparing datasets")
            prepare_data(data_dir)
            fixed.append(f"prepared datasets in {data_dir}")
            ready = data_ready(data_dir)
        checks.append(
            Check(
                "data",
                ready,
                str(data_dir) if ready else f"missing in {data_dir}: run `sentinel data prepare`",
            )
        )
    return DoctorReport(tuple(checks), tuple(fixed))
