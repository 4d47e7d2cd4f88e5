"""A host process killed with SIGKILL mid-run leaves a container and a volume; the next
Sentinel command reaps both, and never touches runs of live processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

HOST_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.run import run_container
    from sentinel.sandbox.spec import RunLimits, RunSpec
    image, data, out, run_id = sys.argv[1:5]
    spec = RunSpec(run_id=run_id, image=image, data_dir=Path(data), limits=RunLimits(timeout_s=300),
                   command=("python", "-c", "import time; time.sleep(300)"))
    run_container(Engine(), spec, Path(out))
""")


def _wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_kill_9_of_the_host_process_then_reap(engine, runtime_image, empty_data_dir, tmp_path):
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.run import reap_orphans
    from sentinel.sandbox.volume import leftover_volumes

    run_id = f"orphan-{os.getpid()}"
    host = subprocess.Popen(
        [sys.executable, "-c", HOST_SCRIPT, runtime_image, str(empty_data_dir), str(tmp_path / "out"), run_id]
    )

    def container_running() -> bool:
        for cid in engine.containers_with_label(RUN_LABEL):
            labels = engine.container_labels(cid) or {}  # None: another run's container just ended
            if labels.get(RUN_LABEL) == run_id and engine.state(cid).running:
                return True
        return False

    try:
        assert _wait_for(container_running), "the host process never started its container"
        os.kill(host.pid, signal.SIGKILL)
        host.wait(timeout=10)
        assert run_id in leftover_volumes()  # SIGKILL skipped every cleanup
        reaped = reap_orphans(engine)
    finally:
        if host.poll() is None:
            host.kill()
    assert run_id in reaped
    assert not any(
        (engine.container_labels(c) or {}).get(RUN_LABEL) == run_id
        for c in engine.containers_with_label(RUN_LABEL)
    )
    assert run_id not in leftover_volumes()
    assert run_id not in Path("/proc/mounts").read_text()


def test_an_orphaned_container_stops_at_its_timeout_without_any_host_process(
    engine, runtime_image, empty_data_dir, tmp_path
):
    """kill -9 of the host during a 5 s run: the container's own supervisor ends it within
    timeout + 5 s, with no Sentinel process alive and no reaper called. Measured from the
    engine's own start/die events (any other Sentinel process on this engine may reap the
    container once it ended, so its record is not waited for)."""
    import threading

    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.run import exit_note
    from sentinel.sandbox.volume import VOLUMES_DIR, remove_volume

    timeout_s = 5
    run_id = f"orphan-deadline-{os.getpid()}"
    seen: dict[str, dict] = {}
    stream = engine.api.events(
        decode=True,
        filters={"type": "container", "event": ["start", "die"], "label": f"{RUN_LABEL}={run_id}"},
    )

    def watch() -> None:
        try:
            for event in stream:
                seen.setdefault(event.get("status") or event.get("Action"), event)
        except Exception:
            return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # The container names this (live) test process as its owner, so no other Sentinel process on
    # the shared engine reaps it early: what stops it must be its own supervisor.
    script = "import os; os.getpid = lambda: int(os.environ['OWNER'])\n" + HOST_SCRIPT.replace(
        "timeout_s=300", f"timeout_s={timeout_s}"
    )
    host = subprocess.Popen(
        [sys.executable, "-c", script, runtime_image, str(empty_data_dir), str(tmp_path / "out"), run_id],
        env={**os.environ, "OWNER": str(os.getpid())},
    )
    try:
        assert _wait_for(lambda: "start" in seen), "the host process never started its container"
        os.kill(host.pid, signal.SIGKILL)
        host.wait(timeout=10)
        assert _wait_for(lambda: "die" in seen, timeout_s=timeout_s + 30), "the orphan ran on"
    finally:
        stream.close()
        if host.poll() is None:
            host.kill()
        # It names this live process as owner, so no reaper takes it: clean it here.
        for cid in engine.containers_with_label(f"{RUN_LABEL}={run_id}"):
            engine.remove_container(cid)
        remove_volume(run_id)
        for leftover in (VOLUMES_DIR / f"{run_id}.owner", exit_note(run_id)):
            leftover.unlink(missing_ok=True)
    lived = (seen["die"]["timeNano"] - seen["start"]["timeNano"]) / 1e9
    exit_code = seen["die"]["Actor"]["Attributes"].get("exitCode")
    print(f"\norphaned container with a {timeout_s} s timeout stopped after {lived:.2f} s (exit {exit_code})")
    assert lived <= timeout_s + 5
    assert exit_code == "124"  # the in-container supervisor's deadline, not a reaper's kill


def test_a_run_image_left_before_its_container_existed_is_reaped(engine, runtime_image):
    """A host killed after building the per-run image, before creating the container, leaves
    only the image: the reaper finds it by its labels and its dead owner."""
    from sentinel.sandbox.images import RUN_REPO
    from sentinel.sandbox.run import reap_orphans

    run_id = f"orphan-image-{os.getpid()}"
    build = (
        "import sys; from sentinel.sandbox.engine import Engine; from sentinel.sandbox.images import build_run_image;"
        " build_run_image(Engine(), sys.argv[1], sys.argv[2], {'config.yaml': b'x: 1'}, {'campaign': 't'})"
    )
    subprocess.run([sys.executable, "-c", build, runtime_image, run_id], check=True)  # its owner exits
    assert engine.image_id(f"{RUN_REPO}:{run_id}") is not None
    assert run_id in reap_orphans(engine)
    assert engine.image_id(f"{RUN_REPO}:{run_id}") is None
