"""In-loop training monitor: watches loss and gradient signals and intervenes before a run is wasted.

Container side: imports only stdlib, numpy, yaml, torch and `sentinel.contract`; never the
sandbox. `protocol` is the trainer-hook contract (`TrainerHook`, `TrainingControl`,
`StepSignals`): the built-in trainer implements it and depends on the monitor, never the
reverse. Two entry points share one implementation (`MonitorHook`):

- the built-in trainer calls `build_trainer_hook(config["monitor"])`;
- a user's own loop calls `attach(model, optimizer)` and then `mon.check(loss)` every step.

`attach`/`Monitor` and the hook import torch, so they are loaded on first use: host-side readers
of the event schema (`sentinel.contract.events`) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.protocol import StepSignals, TrainerHook, TrainingControl

if TYPE_CHECKING:
    from sentinel.monitor.hook import MonitorHook, build_trainer_hook
    from sentinel.monitor.loop import LoopControl, Monitor, attach

__all__ = [
    "LoopControl",
    "Monitor",
    "MonitorConfig",
    "MonitorHook",
    "StepSignals",
    "TrainerHook",
    "TrainingControl",
    "attach",
    "build_trainer_hook",
]

_LAZY = {
    "MonitorHook": "sentinel.monitor.hook",
    "build_trainer_hook": "sentinel.monitor.hook",
    "LoopControl": "sentinel.monitor.loop",
    "Monitor": "sentinel.monitor.loop",
    "attach": "sentinel.monitor.loop",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sentinel.monitor' has no attribute {name!r}")
