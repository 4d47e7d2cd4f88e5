"""The artifact volume: a hard size cap that the host can still read during and after the run.

A tmpfs volume has a cap but loses its files when the container goes; a bind mount keeps them
but has no cap. So (PLATFORM.md, measured) each run gets a sparse file formatted ext4 and
loop-mounted on the host with nosuid,nodev,noexec, owned by uid 65534, bind-mounted as
/artifacts. Writes past the size fail with ENOSPC inside the container and never touch the
host's disk beyond the file's size. Unmounting and deleting the file cleans up.

The mount directory's name carries the run id, so `reap_orphans` can find volumes a killed
host process left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sentinel.sandbox.errors import EngineUnavailable, SandboxError
from sentinel.sandbox.paths import CACHE_DIR

VOLUMES_DIR = CACHE_DIR / "volumes"
MOUNT_OPTIONS = "loop,nosuid,nodev,noexec"
NOBODY_UID = 65534


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


class ArtifactVolume:
    """Create with `ArtifactVolume(run_id, size)`, use `.path`, always `.close()` (or `with`)."""

    def __init__(self, run_id: str, size_bytes: int, root: Path = VOLUMES_DIR) -> None:
        if os.geteuid() != 0:
            raise EngineUnavailable("the size-capped artifact volume needs root (loop mount)")
        self.run_id = run_id
        self.image_file = root / f"{run_id}.img"
        self.path = root / run_id
        root.mkdir(parents=True, exist_ok=True)
        try:
            self._create(size_bytes)
        except BaseException:
            self.close()
            raise

    def _create(self, size_bytes: int) -> None:
        with open(self.image_file, "wb") as handle:
            handle.truncate(size_bytes)  # sparse: costs disk only as the run writes
        # No journal (the volume lives minutes) and no reserved blocks (the cap is the cap);
        # root_owner makes the top folder writable by the run's uid and nobody else.
        made = _run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-m",
                "0",
                "-O",
                "^has_journal",
                "-E",
                f"root_owner={NOBODY_UID}:{NOBODY_UID}",
                str(self.image_file),
            ]
        )
        if made.returncode != 0:
            raise EngineUnavailable(f"mkfs.ext4 failed: {made.stderr.strip()[:200]}")
        self.path.mkdir(mode=0o700, exist_ok=True)
        mounted = _run(["mount", "-o", MOUNT_OPTIONS, str(self.image_file), str(self.path)])
        if mounted.returncode != 0:
            raise EngineUnavailable(
                f"loop mount of the artifact volume failed: {mounted.stderr.strip()[:200]}"
            )
        lost_found = self.path / "lost+found"
        if lost_found.is_dir():
            lost_found.rmdir()

    def close(self) -> None:
        """Unmount and delete; safe to call twice and after a partial create."""
        if os.path.ismount(self.path):
            done = _run(["umount", str(self.path)])
            if done.returncode != 0:
                done = _run(["umount", "-l", str(self.path)])  # lazy: a stuck reader must not leak it
                if done.returncode != 0:
                    raise SandboxError(f"could not unmount {self.path}: {done.stderr.strip()[:200]}")
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        self.image_file.unlink(missing_ok=True)

    def __enter__(self) -> ArtifactVolume:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def leftover_volumes(root: Path = VOLUMES_DIR) -> list[str]:
    """Run ids with a volume file or mount still present under `root`."""
    if not root.is_dir():
        return []
    return sorted({p.name.removesuffix(".img") for p in root.iterdir()})


def remove_volume(run_id: str, root: Path = VOLUMES_DIR) -> None:
    vol = ArtifactVolume.__new__(ArtifactVolume)
    vol.run_id, vol.image_file, vol.path = run_id, root / f"{run_id}.img", root / run_id
    vol.close()
