"""Approval by a Python policy: your own function decides every proposal, unattended.

    def cautious(proposal: ProposalRecord) -> bool:
        return proposal.tier == 1 and float(proposal.overrides.get("trainer.lr", 0.0)) <= 0.01

    CallbackApproval(cautious, name="cautious")               # in Python
    sentinel campaign run digits:quick --approval policy:my_policies:cautious   # on the CLI

The policy runs on the host with the campaign's rights: it is your code, loaded from your
module or file, never from anything a run or a brain produced. It returns True (approve),
False (reject) or a Decision (to name a different reviewer).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.campaign.approval._base import ApprovalHook, Decision
from sentinel.agent.errors import BadInput
from sentinel.agent.store import ProposalRecord

if TYPE_CHECKING:
    from sentinel.agent.configs import CheckedConfig

__all__ = ["POLICY_PREFIX", "CallbackApproval", "Policy", "load_policy"]

POLICY_PREFIX = "policy:"
Policy = Callable[[ProposalRecord], "bool | Decision"]
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_FUNCTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REVIEWER_CHARS = re.compile(r"[^A-Za-z0-9_.@+-]")


class CallbackApproval(ApprovalHook):
    """A Python policy: `policy(proposal) -> bool | Decision`; its name is recorded as the reviewer."""

    mode = "callback"

    def __init__(self, policy: Policy, name: str = "policy") -> None:
        if not callable(policy):
            raise ValueError(f"policy must be callable, got {policy!r:.60}")
        self._policy, self.name = policy, name

    def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision:
        verdict = self._policy(proposal)
        if isinstance(verdict, Decision):
            return verdict
        if not isinstance(verdict, bool):
            raise BadInput(f"approval policy {self.name} returned {type(verdict).__name__}, not a bool")
        return Decision("approved" if verdict else "rejected", self.name)


def load_policy(spec: str) -> CallbackApproval:
    """`policy:MODULE:FUNCTION` or `policy:FILE.py:FUNCTION` -> a CallbackApproval named after it.

    BadInput (exit 2) when the spec is malformed or names nothing callable.
    """
    body = spec.removeprefix(POLICY_PREFIX)
    where, _, function = body.rpartition(":")
    if not spec.startswith(POLICY_PREFIX) or not where or not _FUNCTION.fullmatch(function):
        raise BadInput(f"--approval {spec!r}: expected policy:MODULE:FUNCTION or policy:FILE.py:FUNCTION")
    if where.endswith(".py"):
        module = _from_file(Path(where), spec)
        label = Path(where).stem
    elif _MODULE.fullmatch(where):
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise BadInput(f"--approval {spec!r}: cannot import {where!r} ({err})") from None
        label = where
    else:
        raise BadInput(f"--approval {spec!r}: {where!r} is neither a module name nor a .py file")
    policy = getattr(module, function, None)
    if not callable(policy):
        raise BadInput(f"--approval {spec!r}: {where} has no function {function!r}")
    reviewer = _REVIEWER_CHARS.sub("-", f"{label}.{function}").lstrip("._@+-")[:64] or "policy"
    return CallbackApproval(policy, name=reviewer)


def _from_file(path: Path, spec: str) -> object:
    if not path.is_file():
        raise BadInput(f"--approval {spec!r}: {path} is not a file")
    name = f"sentinel_policy_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise BadInput(f"--approval {spec!r}: {path} cannot be loaded as Python")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]
        raise BadInput(f"--approval {spec!r}: {path} failed to load ({type(err).__name__}: {err})") from None
    return module
