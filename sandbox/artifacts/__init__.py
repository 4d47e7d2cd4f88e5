"""The host's reader of run artifacts: the only code that touches what a run wrote.

Everything in a run's `/artifacts` is hostile input (DESIGN.md, the boundary). This package
turns it into frozen, schema-checked records or a rejection in Sentinel's own words; it never
raises on hostile content, never follows a link, never blocks on a FIFO, never reads past a
cap and never unpickles. See `_reader` for the folder policy, `sentinel.contract.vocabulary` for
the closed sets of strings and `sentinel.contract.records` for the records it returns,
`ArtifactLimits` for every bound.

    result = read_artifacts(run_dir)           # after the container exited
    if not result.accepted: status = "artifact_rejected"; reason = result.rejection

    events = read_events_file(path)             # one monitor_events.jsonl, same rules

    tail = MetricsTail(artifact_dir)            # while it runs
    for record in tail.poll(): progress.update(record.step)
"""

from sentinel.sandbox.artifacts._events_file import read_events_file
from sentinel.sandbox.artifacts._limits import (
    CHECKPOINT_FILE,
    DEFAULT_LIMITS,
    EVENTS_FILE,
    KNOWN_FILES,
    METRICS_FILE,
    SUMMARY_FILE,
    ArtifactLimits,
)
from sentinel.sandbox.artifacts._reader import copy_artifacts, raise_if_rejected, read_artifacts
from sentinel.sandbox.artifacts._tail import MetricsTail
from sentinel.sandbox.errors import ArtifactRejected

__all__ = [
    "CHECKPOINT_FILE",
    "DEFAULT_LIMITS",
    "EVENTS_FILE",
    "KNOWN_FILES",
    "METRICS_FILE",
    "SUMMARY_FILE",
    "ArtifactLimits",
    "ArtifactRejected",
    "MetricsTail",
    "copy_artifacts",
    "raise_if_rejected",
    "read_artifacts",
    "read_events_file",
]
