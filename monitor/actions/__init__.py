"""The action registry, keyed by the enumerated action name that lands in monitor_events.jsonl."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.actions.clip import ClipAction
from sentinel.monitor.actions.lr_cut import LrCutAction
from sentinel.monitor.actions.lr_restart import LrRestartAction
from sentinel.monitor.actions.reinit import ReinitAction
from sentinel.monitor.actions.rollback import RollbackAction
from sentinel.monitor.actions.skip import SkipAction
from sentinel.monitor.actions.stop import STOP_REASON, StopAction

__all__ = [
    "ACTIONS",
    "STOP_REASON",
    "Action",
    "ActionContext",
    "ClipAction",
    "LrCutAction",
    "LrRestartAction",
    "ReinitAction",
    "RollbackAction",
    "SkipAction",
    "StopAction",
]

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        SkipAction(),
        ClipAction(),
        LrCutAction(),
        RollbackAction(),
        ReinitAction(),
        LrRestartAction(),
        StopAction(),
    )
}
