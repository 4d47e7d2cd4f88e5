"""A review bundle on disk: the evidence a person approves, and one digest that pins all of it.

The digest is the sha256 of a manifest with one line per file, `<sha256 of its bytes>  <name>\\n`,
sorted by name (what `sha256sum * | sort -k2` prints), so a reviewer can recompute it with
coreutils. Every regular file in the folder counts except `bundle.sha256` (the digest Sentinel
sealed when it wrote the bundle) and `decision.json` (the reviewer's answer); hidden files
(editor swap files) are ignored. Anything else a bundle never holds (a symlink, a subfolder, a
huge file) makes the folder invalid rather than silently skipped: a digest that ignores an
entry cannot prove the entry was not there.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sentinel.agent.errors import BundleInvalid
from sentinel.contract.patterns import SHA256

__all__ = [
    "DECISION_FILE",
    "META_FILES",
    "SEAL_FILE",
    "Bundle",
    "digest",
    "folder_digest",
    "read_files",
    "read_seal",
    "write_atomic",
    "write_bundle",
]

SEAL_FILE = "bundle.sha256"
DECISION_FILE = "decision.json"
META_FILES = frozenset({SEAL_FILE, DECISION_FILE})
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FILES = 64
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True, slots=True)
class Bundle:
    """File name -> bytes, exactly as written; `sha256` is the bundle digest."""

    files: Mapping[str, bytes]

    def __post_init__(self) -> None:
        for name in self.files:
            if not FILE_NAME.fullmatch(name) or name in META_FILES:
                raise ValueError(f"{name!r} cannot be a bundle file name")
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    @property
    def sha256(self) -> str:
        return digest(self.files)

    def text(self, name: str) -> str:
        return self.files[name].decode("utf-8")


def digest(files: Mapping[str, bytes]) -> str:
    """The bundle digest of `files` (see the module docstring); independent of insertion order."""
    manifest = "".join(f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files))
    return hashlib.sha256(manifest.encode()).hexdigest()


def read_files(folder: Path) -> dict[str, bytes]:
    """The bundle's files as they are now; BundleInvalid for anything a bundle cannot hold.

    lstat only, never following a link, so what is hashed is what sits in the folder.
    """
    folder = Path(folder)
    try:
        mode = folder.lstat().st_mode
    except FileNotFoundError:
        raise BundleInvalid(folder, "does not exist") from None
    if not stat.S_ISDIR(mode):
        raise BundleInvalid(folder, "is not a plain folder")
    files: dict[str, bytes] = {}
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith(".") or entry.name in META_FILES:
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                raise BundleInvalid(folder, f"{entry.name!r} is not a regular file")
            if not FILE_NAME.fullmatch(entry.name):
                raise BundleInvalid(folder, f"{entry.name!r} is not a bundle file name")
            if info.st_size > MAX_FILE_BYTES or len(files) >= MAX_FILES:
                raise BundleInvalid(folder, f"{entry.name!r} exceeds the bundle's size limits")
            files[entry.name] = _read_regular(folder / entry.name)
    return files


def folder_digest(folder: Path) -> str:
    return digest(read_files(folder))


def read_seal(folder: Path) -> str | None:
    """The digest Sentinel wrote beside the bundle, or None when absent or malformed."""
    path = Path(folder) / SEAL_FILE
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        text = _read_regular(path, limit=200).decode("ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    return text if SHA256.fullmatch(text) else None


def write_bundle(folder: Path, bundle: Bundle) -> str:
    """Write (or replace) the bundle with its seal in one rename; returns the digest.

    The files are assembled in a hidden sibling folder first, so a reader never sees half a
    bundle; a previous folder (with no decision in it: the caller checks) is moved aside and
    removed only after the new one is in place.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    staging = folder.parent / f".{folder.name}.new-{token}"
    staging.mkdir()
    try:
        for name, data in sorted(bundle.files.items()):
            write_atomic(staging / name, data)
        sha = bundle.sha256
        write_atomic(staging / SEAL_FILE, f"{sha}\n".encode())
        old = folder.parent / f".{folder.name}.old-{token}"
        if folder.exists() or folder.is_symlink():
            folder.rename(old)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    return sha


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a crash leaves the old file or the new one."""
    tmp = path.parent / f".{path.name}.tmp-{secrets.token_hex(4)}"
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BundleInvalid(path.parent, f"{path.name!r} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise BundleInvalid(path.parent, f"{path.name!r} exceeds the bundle's size limits")
    return data
