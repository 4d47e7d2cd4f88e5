"""A reviewer's edit of a proposal's overrides, checked the way the campaign loop will check it.

`key=value` sets or replaces a key (values are YAML scalars, as on the command line), `-key`
drops one. The result must still compose: a modification that the loop would reject is refused
while the person is still there to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sentinel.agent.configs import compose, parse_override
from sentinel.agent.errors import BadInput
from sentinel.agent.store import ProposalRecord
from sentinel.contract.patterns import OVERRIDE_KEY

__all__ = ["apply_changes", "checked_overrides"]

Scalar = str | int | float | bool
KEY = OVERRIDE_KEY  # the FeedbackStore's


def apply_changes(overrides: Mapping[str, Scalar], changes: Sequence[str]) -> dict[str, Scalar]:
    """`overrides` with `changes` applied in order; BadInput (exit 2) on a malformed change."""
    result = dict(overrides)
    if not changes:
        raise BadInput("no change given: use key=value to set a key or -key to drop one")
    for text in changes:
        if text.startswith("-"):
            key = text[1:]
            if key not in result:
                raise BadInput(f"cannot drop {key!r}: the proposal does not set it")
            del result[key]
            continue
        parsed = parse_override(text)
        if isinstance(parsed.value, dict | list) or parsed.value is None:
            raise BadInput(f"override {text!r}: a reviewer can set plain values only (number, text, bool)")
        if not KEY.fullmatch(parsed.key):
            raise BadInput(f"override {text!r}: the key must be lower case, at most four levels deep")
        result[parsed.key] = parsed.value
    return result


def checked_overrides(
    proposal: ProposalRecord | Mapping[str, object],
    changes: Sequence[str],
    configs_dir: Path,
    generated_root: Path | None = None,
) -> dict[str, Scalar]:
    """The modified overrides of `proposal` (a record or its proposal.yaml), if they compose."""
    if isinstance(proposal, ProposalRecord):
        experiment, overrides = proposal.experiment, dict(proposal.overrides)
    else:
        experiment, overrides = str(proposal.get("experiment", "")), proposal.get("overrides")
        if not isinstance(overrides, Mapping):
            raise BadInput("the bundle's proposal.yaml has no overrides mapping")
    result = apply_changes(overrides, changes)
    if result == dict(overrides):
        raise BadInput("the change leaves the proposal as it is: approve it instead")
    compose(experiment, [f"{k}={_text(v)}" for k, v in sorted(result.items())], configs_dir, generated_root)
    return result


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
