"""How a prepared dataset sits on disk, and the only code that writes or checks it.

Layout (docs/contracts.md): the data folder, mounted read-only into runs, holds
`<data>/<name>/{train,val}.npz` with arrays `x` (float32) and `y`, `<data>/<name>/test_inputs.npz`
(array `x` only), `<data>/<name>/meta.json` and `<data>/MANIFEST.json` (sha256 of every file).
The test split's targets live in the held-out folder beside it, `<data>.heldout/<name>/
test_targets.npz` with its own MANIFEST.json: it is never mounted into a container, so the
metric a campaign ranks is computed by the host against targets no generated code has seen.
A dataset is written into private temporary folders beside its final places and renamed in
one step each (held-out part first), so a crash leaves whole files, never half of one.
Data files are world-readable because runs mount the folder read-only as uid 65534; the
held-out folder is the host's alone (0700).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MANIFEST",
    "SPLITS",
    "Built",
    "dataset_files",
    "heldout_dir",
    "heldout_files",
    "locked",
    "read_manifest",
    "sha256_file",
]

MANIFEST = "MANIFEST.json"
SPLITS = ("train", "val", "test")
TEST_INPUTS, TEST_TARGETS = "test_inputs.npz", "test_targets.npz"
MANIFEST_VERSION = 2  # 2: test targets moved out of the mounted folder
_FILE_MODE, _DIR_MODE, _PRIVATE_DIR_MODE = 0o644, 0o755, 0o700


@dataclass(frozen=True, slots=True)
class Built:
    """One generated dataset in memory: split -> (x, y) and the meta.json content."""

    splits: Mapping[str, tuple[np.ndarray, np.ndarray]]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.splits) != set(SPLITS):
            raise ValueError(f"splits must be {SPLITS}, got {sorted(self.splits)}")
        for split, (x, y) in self.splits.items():
            if x.dtype != np.float32 or len(x) != len(y) or len(x) == 0:
                raise ValueError(f"{split}: x must be non-empty float32 aligned with y")
            if not np.isfinite(x).all():
                raise ValueError(f"{split}: x has non-finite values")


def dataset_files(name: str) -> tuple[str, ...]:
    """Manifest keys of one dataset's files in the (mounted) data folder, in a fixed order."""
    return (f"{name}/train.npz", f"{name}/val.npz", f"{name}/{TEST_INPUTS}", f"{name}/meta.json")


def heldout_files(name: str) -> tuple[str, ...]:
    """Manifest keys of one dataset's files in the held-out folder (host only)."""
    return (f"{name}/{TEST_TARGETS}",)


def heldout_dir(data_dir: Path) -> Path:
    """The held-out folder of `data_dir`: its sibling `<name>.heldout`, never inside it, so
    mounting the data folder can never expose the test targets."""
    data_dir = Path(data_dir).absolute()
    return data_dir.with_name(data_dir.name + ".heldout")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(data_dir: Path) -> dict[str, str]:
    """File -> sha256; an absent or unreadable manifest reads as empty (everything unverified)."""
    try:
        raw = json.loads((data_dir / MANIFEST).read_text())
        files = raw["files"]
        if raw.get("version") != MANIFEST_VERSION or not isinstance(files, dict):
            return {}
        return {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_manifest(data_dir: Path, files: Mapping[str, str]) -> None:
    body = json.dumps({"version": MANIFEST_VERSION, "files": dict(sorted(files.items()))}, indent=1)
    _atomic_text(data_dir / MANIFEST, body + "\n")


def write_dataset(data_dir: Path, name: str, built: Built) -> tuple[dict[str, str], dict[str, str]]:
    """Write one dataset atomically; return (data manifest entries, held-out manifest entries)."""
    x_test, y_test = built.splits["test"]
    held = heldout_dir(data_dir)
    held.mkdir(mode=_PRIVATE_DIR_MODE, exist_ok=True)
    held.chmod(_PRIVATE_DIR_MODE)
    heldout_entries = _write_folder(held, name, {TEST_TARGETS: {"y": y_test}}, None)
    arrays = {f"{split}.npz": {"x": x, "y": y} for split, (x, y) in built.splits.items() if split != "test"}
    arrays[TEST_INPUTS] = {"x": x_test}
    meta = {"name": name, **built.meta, "sizes": {s: len(built.splits[s][0]) for s in SPLITS}}
    return _write_folder(data_dir, name, arrays, meta), heldout_entries


def _write_folder(
    root: Path, name: str, arrays: Mapping[str, Mapping[str, np.ndarray]], meta: Any
) -> dict[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        tmp.chmod(_DIR_MODE)
        for file_name, content in arrays.items():
            np.savez_compressed(tmp / file_name, **content)
        if meta is not None:
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        for path in tmp.iterdir():
            path.chmod(_FILE_MODE)
            with path.open("rb") as f:
                os.fsync(f.fileno())
        entries = {f"{name}/{p.name}": sha256_file(p) for p in sorted(tmp.iterdir())}
        _replace_dir(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return entries


def check_dataset(
    data_dir: Path, name: str, manifest: Mapping[str, str], heldout: Mapping[str, str] | None = None
) -> list[str]:
    """Problems with one dataset (missing, not a regular file, checksum mismatch); [] if sound.

    `heldout` is the held-out folder's manifest (None: read it); its files are checked too."""
    if heldout is None:
        heldout = read_manifest(heldout_dir(data_dir))
    problems = _check_files(data_dir, dataset_files(name), manifest)
    problems += _check_files(heldout_dir(data_dir), heldout_files(name), heldout, "held-out ")
    return problems


def _check_files(root: Path, keys: tuple[str, ...], manifest: Mapping[str, str], what: str = "") -> list[str]:
    problems = []
    for key in keys:
        path = root / key
        if not path.is_file() or path.is_symlink():
            problems.append(f"{what}{key}: missing or not a regular file")
        elif key not in manifest:
            problems.append(f"{what}{key}: not in {MANIFEST}")
        elif sha256_file(path) != manifest[key]:
            problems.append(f"{what}{key}: sha256 does not match {MANIFEST}")
    return problems


def read_meta(data_dir: Path, name: str) -> dict[str, Any]:
    try:
        meta = json.loads((data_dir / name / "meta.json").read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def remove_leftovers(data_dir: Path, names: list[str]) -> None:
    """Delete temporary folders and files a killed preparer left (`.<name>.*`, `.MANIFEST.json.*`).

    Only called with the lock held, so no live preparer is writing them.
    """
    prefixes = tuple(f".{name}." for name in [*names, MANIFEST])
    for entry in data_dir.iterdir():
        if not entry.name.startswith(prefixes):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """Serialise preparers on one data folder (two `sentinel data prepare` at once)."""
    with (data_dir / ".prepare.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace_dir(new: Path, final: Path) -> None:
    """Rename `new` onto `final`; an old `final` is moved aside first and removed after."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.old.{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    os.rename(new, final)
    _fsync_dir(final.parent)
    if old is not None:
        if old.is_symlink() or old.is_file():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
