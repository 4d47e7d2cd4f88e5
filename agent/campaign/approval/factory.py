"""Build the approval hook that `--approval` names, for `campaign run` and `campaign resume`.

auto                      approve everything validated (unattended)
terminal                  ask the person at this terminal (stdin must be a terminal)
offline                   write a review bundle per proposal and pause (exit 4)
policy:MODULE:FUNCTION    your Python policy (also policy:FILE.py:FUNCTION)
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from sentinel.agent.campaign.approval._base import ApprovalHook, AutoApproval
from sentinel.agent.campaign.approval.callback import POLICY_PREFIX, load_policy
from sentinel.agent.campaign.approval.offline import OfflineApproval
from sentinel.agent.campaign.approval.terminal import Live, TerminalApproval
from sentinel.agent.errors import BadInput
from sentinel.agent.store import FeedbackStore

__all__ = ["APPROVAL_MODES", "make_hook", "mode_of"]

APPROVAL_MODES = ("auto", "terminal", "offline", "callback")


def mode_of(spec: str) -> str:
    """The mode a spec stands for, as the campaign records it (a policy spec is "callback")."""
    if spec.startswith(POLICY_PREFIX):
        return "callback"
    if spec in APPROVAL_MODES and spec != "callback":
        return spec
    raise BadInput(f"--approval {spec!r} is not auto, terminal, offline or policy:MODULE:FUNCTION")


def make_hook(
    spec: str,
    store: FeedbackStore,
    *,
    configs_dir: Path,
    reviews_dir: Path,
    console: Console | None = None,
    live: Live | None = None,
    runs_dir: Path | None = None,
) -> ApprovalHook:
    """The hook for `spec`; BadInput (exit 2) for an unknown spec, a policy that cannot be
    loaded, or `terminal` without a terminal on stdin (it would pause at every proposal)."""
    mode = mode_of(spec)
    if mode == "auto":
        return AutoApproval()
    if mode == "offline":
        return OfflineApproval(store, configs_dir, reviews_dir, runs_dir)
    if mode == "callback":
        return load_policy(spec)
    if sys.stdin is None or not sys.stdin.isatty():
        raise BadInput("--approval terminal needs a terminal on stdin; use --approval offline instead")
    return TerminalApproval(store, configs_dir, console=console, live=live, runs_dir=runs_dir)
