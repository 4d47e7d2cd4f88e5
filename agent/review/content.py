"""What a review bundle says about one proposal, built only from the store and trusted files.

`build_bundle` is deterministic: the same proposal and the same configs give byte-identical
files. That is what lets Sentinel rebuild the bundle right before a run and refuse it when the
approved digest no longer describes what would run (a config or a generated model changed).

Files:
- `proposal.yaml`: the proposal as recorded (overrides, tier, rationale, lineage, brain, ...).
- `config.diff`: the resolved config against the experiment's base config, full context, so
  the whole config that would be baked into the image is in the diff.
- `model.diff` (generated models only): the generated file against the most similar built-in
  model (difflib ratio), full context, so every line of the new code is visible.
- `validator.json` (generated models only): the validator's report on each generated file.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from sentinel.agent.configs import CheckedConfig, ResolvedConfig, check_config, compose
from sentinel.agent.review.bundle import Bundle
from sentinel.agent.store import ProposalRecord
from sentinel.contract.config import dump_yaml

__all__ = ["build_bundle", "builtin_models_dir", "closest_model", "config_diff", "model_diff"]

NO_CHANGE = "# no difference: the proposal runs the experiment's base config unchanged\n"


def build_bundle(
    proposal: ProposalRecord,
    configs_dir: Path,
    generated_root: Path | None = None,
    checked: CheckedConfig | None = None,
) -> Bundle:
    """The bundle for `proposal`; ConfigError (exit 2) if its config no longer composes.

    `generated_root`: the campaign's folder holding its generated/ entries (runs/<campaign>).
    `checked`: the campaign loop's one composition and validation of the proposal, shown as it
    is (the config and code that would run); without it the proposal is checked here."""
    if checked is None:
        checked = check_config(proposal.experiment, proposal.override_args(), configs_dir, generated_root)
    resolved = checked.resolved
    base = compose(proposal.experiment, [], configs_dir, generated_root)
    files: dict[str, bytes] = {"config.diff": config_diff(proposal, base, resolved).encode()}
    generated: list[dict[str, Any]] = []
    diffs: list[str] = []
    reports: list[dict[str, Any]] = []
    for name, checked_report in checked.reports:
        source = resolved.files[name].decode("utf-8", "replace")
        closest, ratio = closest_model(source)
        diffs.append(model_diff(source, name, closest))
        report = checked_report.to_dict()
        reports.append(report)
        generated.append(
            {
                "file": name,
                "sha256": hashlib.sha256(source.encode()).hexdigest(),
                "closest_builtin": closest.name if closest else None,
                "similarity": round(ratio, 4),
                "validator": "accepted" if report["accepted"] else "rejected",
            }
        )
    if generated:
        files["model.diff"] = "".join(diffs).encode()
        files["validator.json"] = (json.dumps({"reports": reports}, indent=2, sort_keys=True) + "\n").encode()
    files["proposal.yaml"] = dump_yaml(_proposal_doc(proposal, generated)).encode()
    return Bundle(files)


def config_diff(proposal: ProposalRecord, base: ResolvedConfig, resolved: ResolvedConfig) -> str:
    before, after = base.to_yaml().splitlines(keepends=True), resolved.to_yaml().splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"experiments/{proposal.experiment} (base config)",
        tofile=f"proposal {proposal.seq} (resolved config)",
        n=max(len(before), len(after)),
    )
    return "".join(lines) or NO_CHANGE


def model_diff(source: str, name: str, closest: Path | None) -> str:
    before = closest.read_text(encoding="utf-8").splitlines(keepends=True) if closest else []
    after = source.splitlines(keepends=True)
    if after and not after[-1].endswith("\n"):
        after[-1] += "\n"
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"builtin/{closest.name}" if closest else "/dev/null",
        tofile=f"generated/{name}",
        n=max(len(before), len(after)),
    )
    return "".join(lines)


def builtin_models_dir() -> Path:
    """sandbox/runtime/models, located without importing a model (they import torch)."""
    spec = importlib.util.find_spec("sentinel.sandbox.runtime.models")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - installed with the host
        raise RuntimeError("sentinel.sandbox.runtime.models is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def closest_model(source: str, folder: Path | None = None) -> tuple[Path | None, float]:
    """The built-in model file most similar to `source` by line-level difflib ratio (ties: by
    name). Only built-ins count: they cannot change during a campaign, so the choice is stable."""
    folder = folder or builtin_models_dir()
    lines = source.splitlines()
    best: tuple[Path | None, float] = (None, 0.0)
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py" or not path.is_file():
            continue
        ratio = difflib.SequenceMatcher(None, path.read_text(encoding="utf-8").splitlines(), lines).ratio()
        if ratio > best[1] or best[0] is None:
            best = (path, ratio)
    return best


def _proposal_doc(proposal: ProposalRecord, generated: list[dict[str, Any]]) -> dict[str, Any]:
    """Only fields that never change after validation: the bundle must rebuild identically."""
    doc: dict[str, Any] = {
        "campaign": proposal.campaign_id,
        "proposal_id": proposal.id,
        "seq": proposal.seq,
        "experiment": proposal.experiment,
        "tier": proposal.tier,
        "brain": proposal.brain,
        "overrides": dict(proposal.overrides),
        "override_args": list(proposal.override_args()),
        "rationale": proposal.rationale,
        "lineage": proposal.lineage,
        "parent_id": proposal.parent_id,
        "model_ref": proposal.model_ref,
        "config_sha256": proposal.config_sha256,
    }
    if generated:
        doc["generated_models"] = generated
    return doc
