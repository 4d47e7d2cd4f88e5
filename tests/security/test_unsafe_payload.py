"""Defense in depth: a hostile model file run WITHOUT the validator still cannot do harm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

PAYLOAD = Path(__file__).parent / "payloads" / "escape_attempts.py"


def test_unvalidated_payload_is_contained(engine, runtime_image, data_dir, tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "SENTINEL_TEST_SECRET": "must-not-leak"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sentinel.agent.cli.main",
            "sandbox",
            "run",
            "digits",
            "trainer.epochs=1",
            "--model-file",
            str(PAYLOAD),
            "--unsafe-skip-validation",
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert "WARNING: --unsafe-skip-validation" in proc.stderr
    log = (out / "stdout.log").read_text()
    line = next(line for line in log.splitlines() if line.startswith("PAYLOAD "))
    report = json.loads(line.removeprefix("PAYLOAD "))
    assert report.pop("host_env_leak") is False
    assert "succeeded" not in report.values(), report
    assert report["udp_route"] == "ENETUNREACH"
    assert report["write_rootfs"] in {"EROFS", "EACCES"}
    assert report["docker_socket"] == "ENOENT"
    assert report["ptrace_init"] == "EPERM"
    assert report["exec_from_tmp"] == "EACCES"  # /tmp is noexec
    assert report["setuid_root"] == "EPERM"
    assert report["raw_socket"] in {"EPERM", "EAFNOSUPPORT", "EACCES"}
    assert not Path("/usr/lib/evil.so").exists()
    # The payload is a working model after its attempts, so the run itself trains to the end.
    assert json.loads(proc.stdout)["status"] == "completed"
