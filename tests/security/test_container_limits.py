"""Resource attacks: each is contained by a limit and reported with the host's own status."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import docker.errors
import pytest
from _support import payload_report

pytestmark = pytest.mark.docker


def test_fork_bomb_is_stopped_by_the_pids_limit(run_payload):
    code = textwrap.dedent("""
        import json, os, time
        children = 0
        error = ""
        while children < 5000:
            try:
                pid = os.fork()
            except OSError as e:
                error = e.strerror; break
            if pid == 0:
                time.sleep(20); os._exit(0)
            children += 1
        print(json.dumps({"children": children, "error": error}), flush=True)
    """)
    result = run_payload(code, pids=64, timeout_s=60)
    report = payload_report(result)
    assert report["children"] < 64
    assert report["error"] == "Resource temporarily unavailable"
    assert result.exit_code == 0  # the payload exited by itself; its sleeping children died with the run


def test_memory_balloon_is_reported_as_oom(run_payload):
    code = textwrap.dedent("""
        chunks = []
        while True:
            chunks.append(bytearray(16 * 1024 * 1024))
    """)
    result = run_payload(code, memory_bytes=256 * 1024**2, timeout_s=60)
    assert result.status == "oom"
    assert result.oom_killed


def test_infinite_loop_is_reported_as_timeout(run_payload):
    result = run_payload("while True: pass", timeout_s=3)
    assert result.status == "timeout"
    assert result.timed_out
    assert result.seconds < 30


def test_disk_fill_stops_at_the_artifact_cap(run_payload, tmp_path):
    code = textwrap.dedent("""
        import errno, json
        written, error = 0, ""
        block = b"x" * (1024 * 1024)
        with open("/artifacts/fill.bin", "wb") as f:
            try:
                for _ in range(4096):
                    f.write(block); f.flush(); written += len(block)
            except OSError as e:
                error = errno.errorcode[e.errno]
        tmp_written, tmp_error = 0, ""
        with open("/tmp/fill.bin", "wb") as f:
            try:
                for _ in range(4096):
                    f.write(block); f.flush(); tmp_written += len(block)
            except OSError as e:
                tmp_error = errno.errorcode[e.errno]
        print(json.dumps({"written": written, "error": error,
                          "tmp_written": tmp_written, "tmp_error": tmp_error}))
    """)
    free_before = shutil.disk_usage("/").free
    result = run_payload(code, artifact_bytes=16 * 1024**2, timeout_s=60)
    report = payload_report(result)
    assert report["error"] in {"ENOSPC", "EFBIG"}
    assert report["written"] <= 16 * 1024**2
    assert report["tmp_error"] == "ENOSPC"
    assert report["tmp_written"] <= 64 * 1024**2
    # The host's disk lost at most the volume's size while it existed, and nothing after.
    assert shutil.disk_usage("/").free > free_before - 64 * 1024**2


def test_stdout_flood_is_capped(run_payload, engine):
    from sentinel.sandbox.engine import RUN_LABEL

    code = "import sys\nline = 'A' * 1023 + '\\n'\nfor _ in range(200_000): sys.stdout.write(line)\n"
    log_sizes: list[int] = []

    def measure(_artifacts_dir) -> None:
        for container_id in engine.containers_with_label(RUN_LABEL):
            try:
                path = engine.api.inspect_container(container_id)["LogPath"]
            except docker.errors.NotFound:
                continue  # another run's container ended between the list and this call
            if path and os.path.exists(path):
                log_sizes.append(os.path.getsize(path))

    result = run_payload(code, timeout_s=120, on_poll=measure)
    assert result.exit_code == 0
    assert log_sizes, "the flood ended before the host could look at the engine's log"
    # 200 MB were written; the engine kept about 1 MiB (json-file max-size) and the host 64 KiB.
    assert max(log_sizes) <= 2 * 1024**2
    assert len((result.out_dir / "stdout.log").read_bytes()) <= 64 * 1024


def test_leftover_processes_die_and_nothing_is_left_behind(run_payload, engine):
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.volume import leftover_volumes

    code = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(3600)
            os._exit(0)
        print('{"parent": "exiting"}')
    """)
    result = run_payload(code)
    assert result.exit_code == 0
    assert engine.containers_with_label(RUN_LABEL) == [] or all(
        result.run_id not in str(engine.container_labels(c) or {})
        for c in engine.containers_with_label(RUN_LABEL)
    )
    assert result.run_id not in leftover_volumes()
    assert result.run_id not in Path("/proc/mounts").read_text()
