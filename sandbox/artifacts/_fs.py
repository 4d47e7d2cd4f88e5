"""Reach files in a hostile folder without following links, blocking, or reading unbounded.

The folder is opened once (O_DIRECTORY | O_NOFOLLOW) and every entry is reached relative to
that descriptor, so renaming a path component cannot redirect the reader. An entry is lstat'ed,
then opened with O_NOFOLLOW | O_NONBLOCK (a symlink fails with ELOOP, a FIFO opens without
waiting for a writer) and the descriptor is fstat'ed and compared with the lstat result, so a
swap between the two calls is caught rather than read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentinel.contract import vocabulary as vocab
from sentinel.sandbox.artifacts._limits import ArtifactLimits
from sentinel.sandbox.errors import ArtifactRejected

FOLDER = ""  # ArtifactRejected.file for violations of the folder as a whole
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 64 * 1024


def describe(mode: int) -> str:
    """Sentinel's name for a non-regular file type, for rejections."""
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def not_regular(name: str, mode: int) -> ArtifactRejected:
    """The rejection for an entry that is not a regular file."""
    return ArtifactRejected(_file(name), f"{label(name)} is {describe(mode)}")


def cannot(name: str, verb: str, err: OSError) -> ArtifactRejected:
    """The rejection for an OS error on an entry, e.g. "metrics.jsonl cannot be read (EIO)"."""
    return ArtifactRejected(_file(name), f"{label(name)} cannot be {verb} ({_code(err)})")


def label(name: str) -> str:
    """How a rejection may refer to an entry: its name only if the name is safe to show."""
    return name if vocab.FILE_NAME.fullmatch(name) else "an entry with a disallowed name"


def open_folder(directory: Path) -> int:
    """Open the artifact folder itself; it must be a real directory, not a link to one."""
    try:
        return os.open(directory, _DIR_FLAGS)
    except OSError as err:
        what = f"cannot be opened ({_code(err)})"
        if err.errno in (errno.ELOOP, errno.ENOTDIR):  # O_DIRECTORY wins over O_NOFOLLOW: ask
            with contextlib.suppress(OSError):
                link = stat.S_ISLNK(os.lstat(directory).st_mode)
                what = "is a symlink" if link else "is not a directory"
        raise ArtifactRejected(FOLDER, f"artifact folder {what}") from None


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    lstat: os.stat_result


def list_entries(folder_fd: int, limits: ArtifactLimits) -> list[Entry]:
    """lstat every entry, sorted by name; at most `max_entries`, or the folder is rejected."""
    names: list[str] = []
    try:
        with os.scandir(folder_fd) as it:
            for entry in it:
                names.append(entry.name)
                if len(names) > limits.max_entries:
                    raise ArtifactRejected(
                        FOLDER, f"artifact folder holds more than {limits.max_entries} entries"
                    )
    except OSError as err:
        raise ArtifactRejected(FOLDER, f"artifact folder cannot be listed ({_code(err)})") from None
    entries = []
    for name in sorted(names):
        try:
            entries.append(Entry(name, os.stat(name, dir_fd=folder_fd, follow_symlinks=False)))
        except FileNotFoundError:
            continue  # gone since the listing: nothing to read
        except OSError as err:
            raise cannot(name, "inspected", err) from None
    return entries


def open_entry(folder_fd: int, entry: Entry) -> int:
    """Open `entry` for reading only if it still is the regular file lstat saw."""
    name, seen = entry.name, entry.lstat
    if not stat.S_ISREG(seen.st_mode):
        raise not_regular(name, seen.st_mode)
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=folder_fd)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ArtifactRejected(_file(name), f"{label(name)} is a symlink") from None
        raise cannot(name, "opened", err) from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode):
            raise not_regular(name, now.st_mode)
        if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
            raise ArtifactRejected(_file(name), f"{label(name)} was replaced while being opened")
        if now.st_nlink != 1:
            raise ArtifactRejected(_file(name), f"{label(name)} has more than one hard link")
    except BaseException:
        os.close(fd)
        raise
    return fd


class Overflow(Exception):
    """More bytes arrived than the caller allowed; reading stopped at `limit + 1`."""


def read_bounded(fd: int, name: str, limit: int, sink: Callable[[bytes], None]) -> tuple[int, str]:
    """Stream the file to `sink` and hash it; raise Overflow once more than `limit` bytes arrive.

    Reads at most `limit + 1` bytes whatever the file's size does meanwhile, so a file that
    grows after its lstat cannot make the host read (or keep) more than the limit.
    """
    digest = hashlib.sha256()
    total = 0
    while True:
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        except OSError as err:
            raise cannot(name, "read", err) from None
        if not chunk:
            return total, digest.hexdigest()
        total += len(chunk)
        if total > limit:
            raise Overflow()
        digest.update(chunk)
        sink(chunk)


def _file(name: str) -> str:
    """ArtifactRejected.file: the entry's name if safe to show, else the folder marker."""
    return name if vocab.FILE_NAME.fullmatch(name) else FOLDER


def _code(err: OSError) -> str:
    return errno.errorcode.get(err.errno or 0, "error")
