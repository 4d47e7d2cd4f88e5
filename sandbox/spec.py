"""RunSpec: everything that decides how one container is confined, validated on construction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sentinel.contract.patterns import RUN_ID
from sentinel.sandbox.errors import BadRunInput

ISOLATIONS = {"runc": "runc", "gvisor": "runsc"}  # isolation level -> engine runtime name
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmg]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str | int) -> int:
    """'2g', '512m', '64M' or a byte count -> bytes; the error names the bad value."""
    if isinstance(text, int):
        value = text
    else:
        match = _SIZE.match(text.strip())
        if not match:
            raise BadRunInput(f"size {text!r} is not like 512m or 2g")
        value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if value <= 0:
        raise BadRunInput(f"size {text!r} must be positive")
    return value


@dataclass(frozen=True, slots=True)
class RunLimits:
    """Resource limits; defaults fit one training run on a 2-core, 24 GiB machine."""

    timeout_s: float = 600.0
    cpus: float = 1.0
    memory_bytes: int = 2 * 1024**3
    pids: int = 256
    tmp_bytes: int = 64 * 1024**2
    artifact_bytes: int = 64 * 1024**2
    nofile: int = 1024
    file_bytes: int = 256 * 1024**2  # RLIMIT_FSIZE: no single file larger, anywhere
    log_bytes: int = 1024**2  # the engine's json-file log cap for stdout+stderr

    def __post_init__(self) -> None:
        if not 1 <= self.timeout_s <= 24 * 3600:
            raise BadRunInput(f"timeout {self.timeout_s} s is outside 1..86400")
        if not 0.1 <= self.cpus <= 64:
            raise BadRunInput(f"cpus {self.cpus} is outside 0.1..64")
        if self.memory_bytes < 64 * 1024**2:
            raise BadRunInput(f"memory {self.memory_bytes} bytes is below 64 MiB")
        if not 16 <= self.pids <= 4096:
            raise BadRunInput(f"pids limit {self.pids} is outside 16..4096")
        if not 1024**2 <= self.artifact_bytes <= 4 * 1024**3:
            raise BadRunInput(f"artifact cap {self.artifact_bytes} bytes is outside 1 MiB..4 GiB")


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One container run: image, isolation, limits, the data folder and the command."""

    run_id: str
    image: str
    data_dir: Path
    isolation: str = "runc"
    limits: RunLimits = field(default_factory=RunLimits)
    command: tuple[str, ...] = ("python", "-m", "sentinel.sandbox.runtime")
    labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not RUN_ID.fullmatch(self.run_id):
            raise BadRunInput(f"run id {self.run_id!r} must match {RUN_ID.pattern}")
        if self.isolation not in ISOLATIONS:
            raise BadRunInput(f"isolation {self.isolation!r} is not one of {sorted(ISOLATIONS)}")
        if not self.data_dir.is_dir():
            raise BadRunInput(f"data folder {self.data_dir} does not exist; run `sentinel data prepare`")

    @property
    def runtime(self) -> str:
        return ISOLATIONS[self.isolation]
