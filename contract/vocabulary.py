"""The closed vocabularies an artifact may use: the only strings a run can get past the reader.

One table for both sides: the container's writers (`sandbox/runtime/metrics.py`,
`contract.events` builders) refuse a name outside it, and the host's hostile reader
(`sandbox/artifacts`) rejects one, so the two can never drift apart.

Every string value in an artifact must be a member of one of these sets, and every free-form
key (task metrics, monitor evidence and params) must match a short identifier pattern, so no
free text written by a run reaches an LLM prompt or a dashboard (DESIGN.md, the boundary).
They are frozen on purpose: to teach the host a new name, add it here, in the one place that
shows the whole vocabulary, and say why in the commit.
"""

from __future__ import annotations

import re

#: `split` of a metrics.jsonl line; also the prefix of summary keys such as "val/loss".
SPLITS: frozenset[str] = frozenset({"train", "val"})

#: What summary.json may *claim*. Host-only statuses (timeout, oom, killed, artifact_rejected,
#: rejected_by_validator, rejected_by_reviewer) are never accepted from a run.
RUN_STATUSES: frozenset[str] = frozenset({"completed", "diverged", "failed"})

#: Injected fault kinds (`"fault"` on train lines), as in the trainer's `faults:` list.
FAULT_KINDS: frozenset[str] = frozenset({"lr_spike", "grad_explosion", "nan_loss", "bad_batch"})

#: `anomaly` of a monitor event: one name per detector, "lr_jump" (the LR left its schedule,
#: monitor/hook.py), and the run-quality reports "collapse" and "mediocre" (monitor/quality.py).
ANOMALIES: frozenset[str] = frozenset(
    {"nan", "grad_explosion", "divergence", "loss_spike", "oscillation", "plateau"}
) | {"lr_jump", "collapse", "mediocre"}

#: `action` of a monitor event: what the policy did about the anomaly; "none" is a report
#: (nothing was changed) and never counts as an intervention.
ACTIONS: frozenset[str] = frozenset(
    {"none", "clip", "lr_cut", "lr_restart", "rollback", "reinit", "stop", "skip"}
)

#: How an intervention turned out, in code order: an experience line's `params.outcome` is the
#: 1-based position here (a number, so no string but the enumerations ever appears).
OUTCOMES: tuple[str, ...] = ("recovered", "persisting", "escalated", "stopped", "run_ended")

#: `kind` of a monitor event line. A line without `kind` is an "intervention"; "experience"
#: lines record how an earlier intervention turned out (same fields).
EVENT_KINDS: frozenset[str] = frozenset({"intervention", "experience"})
DEFAULT_EVENT_KIND = "intervention"

#: summary.json `reason` values kept by the host; any other string is dropped (and the drop is
#: recorded), because a run's own words are never shown or fed to a model.
SUMMARY_REASONS: frozenset[str] = frozenset(
    {
        "completed",
        "max_steps",
        "max_epochs",
        "target_reached",
        "early_stopping",
        "monitor_stop",
        "monitor_exhausted",  # monitor/actions/stop.py: the ladder ran out of remedies
        "nan_loss",
        "diverged",
        "divergence",
        "grad_explosion",
        "loss_spike",
        "oscillation",
        "plateau",
        "rollback_limit",
        "exception",
        "data_error",
    }
)

#: A task-metric name on val lines ("acc", "f1", "mae", "recon", "kl", ...): a short lowercase
#: identifier, so a name can never carry a sentence. Use with `fullmatch`.
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,23}", re.ASCII)

#: A key of a monitor event's `evidence`/`params`: an identifier, optionally "split/name".
EVIDENCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,23}(?:/[a-z][a-z0-9_]{0,23})?", re.ASCII)

#: The largest finite number an artifact may hold: a float32 model cannot produce more, so the
#: writers write anything beyond it as null and the reader rejects it.
FLOAT32_MAX = 3.4028234663852886e38

#: The largest step (and the reader's default bound) an artifact line may name: a run with the
#: registry's largest `max_steps` stays far below it.
MAX_STEP = 10**9

#: Names of folder entries that may appear in rejections and in `RunArtifacts.files`.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)

__all__ = [
    "ACTIONS",
    "ANOMALIES",
    "DEFAULT_EVENT_KIND",
    "EVENT_KINDS",
    "EVIDENCE_NAME",
    "FAULT_KINDS",
    "FILE_NAME",
    "FLOAT32_MAX",
    "MAX_STEP",
    "METRIC_NAME",
    "OUTCOMES",
    "RUN_STATUSES",
    "SPLITS",
    "SUMMARY_REASONS",
]
