"""An owner file left without its volume (the process died between unmounting and letting go)
is reaped once its process is dead; a live process's claim stays."""

from __future__ import annotations

import os
import subprocess
import sys

import sentinel.sandbox.run as run_mod


def test_a_dead_owners_stray_file_goes_and_a_live_one_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(run_mod, "VOLUMES_DIR", tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / "gone-run.owner").write_text(dead.stdout.strip())
    (tmp_path / "live-run.owner").write_text(str(os.getpid()))
    (tmp_path / "mounted-run.owner").write_text(dead.stdout.strip())
    (tmp_path / "mounted-run.img").write_bytes(b"")  # its volume still exists: the main loop's job
    for name in ("gone-run", "live-run", "mounted-run"):
        run_mod._reap_stray_owner(name)
    assert not (tmp_path / "gone-run.owner").exists()
    assert (tmp_path / "live-run.owner").exists() and (tmp_path / "mounted-run.owner").exists()
