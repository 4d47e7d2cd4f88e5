"""Every cap the artifact reader enforces, in one frozen value the caller may tighten."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from sentinel.contract.vocabulary import FLOAT32_MAX, MAX_STEP

KiB = 1024
MiB = 1024 * KiB

METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
EVENTS_FILE = "monitor_events.jsonl"
CHECKPOINT_FILE = "checkpoint.pt"
#: The artifacts the contract names, in the order the reader checks them. Only these are ever
#: copied to the host's run folder (an unknown "run.json" must not overwrite the host's own).
KNOWN_FILES: tuple[str, ...] = (METRICS_FILE, SUMMARY_FILE, EVENTS_FILE, CHECKPOINT_FILE)


@dataclass(frozen=True, slots=True)
class ArtifactLimits:
    """Bounds on everything a run can make the host read, hash, parse or keep in memory.

    Measured at the defaults (2-core host): a 32 MiB metrics.jsonl packed with val lines of many
    task metrics peaks at ~150 MB RSS and ~10 s; 200,000 plain train lines at ~70 MB. Files are
    streamed in 64 KiB reads (a checkpoint is hashed, never held), so memory is the records.
    """

    max_entries: int = 64  # folder entries of any type, subdirectories included
    max_total_bytes: int = 640 * MiB  # all regular files together
    max_metrics_bytes: int = 32 * MiB
    max_summary_bytes: int = 64 * KiB
    max_events_bytes: int = 4 * MiB
    max_checkpoint_bytes: int = 512 * MiB  # sized and hashed only, never parsed
    max_other_bytes: int = 16 * MiB  # any other regular file: sized and hashed only
    max_line_bytes: int = 4096  # one JSONL line, without its newline
    max_metric_lines: int = 200_000
    max_event_lines: int = 10_000
    max_json_containers: int = 8  # objects + arrays per JSON document; also bounds nesting
    max_keys: int = 64  # keys per JSON object
    max_abs_float: float = FLOAT32_MAX
    max_step: int = MAX_STEP
    max_epoch: int = 10**6
    max_tail_read_bytes: int = 1 * MiB  # MetricsTail reads at most this much per poll

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "max_abs_float":
                if not (isinstance(value, float) and math.isfinite(value) and value > 0):
                    raise ValueError(f"max_abs_float must be a finite float > 0, got {value!r}")
            elif type(value) is not int or value < 1:
                raise ValueError(f"{f.name} must be an int >= 1, got {value!r}")
        if self.max_tail_read_bytes < self.max_line_bytes + 1:
            raise ValueError(
                f"max_tail_read_bytes must exceed max_line_bytes ({self.max_line_bytes}), "
                f"got {self.max_tail_read_bytes}"
            )

    def file_cap(self, name: str) -> int:
        """Size cap for the folder entry `name` (known artifacts have their own caps)."""
        return {
            METRICS_FILE: self.max_metrics_bytes,
            SUMMARY_FILE: self.max_summary_bytes,
            EVENTS_FILE: self.max_events_bytes,
            CHECKPOINT_FILE: self.max_checkpoint_bytes,
        }.get(name, self.max_other_bytes)


DEFAULT_LIMITS = ArtifactLimits()
