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
