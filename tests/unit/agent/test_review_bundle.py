"""Review bundles: deterministic content, a digest that is stable and order-free, tampering seen."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from _approval_support import configs_with_generated_model, generated_model_source, goal

from sentinel.agent.configs import compose
from sentinel.agent.review import (
    Bundle,
    BundleInvalid,
    build_bundle,
    closest_model,
    digest,
    folder_digest,
    read_seal,
    write_bundle,
)
from sentinel.agent.store import FeedbackStore, ProposalRecord
from sentinel.contract.config import load_yaml


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    return configs_with_generated_model(tmp_path / "configs")


def validated(
    store: FeedbackStore, configs: Path, overrides: dict, campaign: str | None = None
) -> ProposalRecord:
    campaign = campaign or store.create_campaign(replace(goal(), max_tier=3), seed=0, approval="offline").id
    tier = 3 if any(str(v).startswith("wide") for v in overrides.values()) else 1
    if tier == 3:
        store.record_escalation(campaign, 3, "generated models", {}, from_tier=1)
    p = store.add_proposal(
        campaign, tier=tier, brain="strategist", overrides=overrides, rationale="because\nreasons"
    )
    sha = compose(p.experiment, list(p.override_args()), configs).sha256
    return store.record_validation(p.id, True, config_sha256=sha)


def test_digest_is_the_sorted_sha256sum_manifest_and_order_free() -> None:
    files = {"b.txt": b"two\n", "a.txt": b"one\n"}
    manifest = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in ("a.txt", "b.txt"))
    assert digest(files) == hashlib.sha256(manifest.encode()).hexdigest()
    assert digest(dict(reversed(list(files.items())))) == digest(files)
    assert digest({**files, "a.txt": b"one!\n"}) != digest(files)
    assert digest({"a.txt": b"one\n"}) != digest(files)


def test_bundle_refuses_meta_and_odd_names() -> None:
    for name in ("decision.json", "bundle.sha256", "../x", ".hidden", "a/b"):
        with pytest.raises(ValueError):
            Bundle({name: b""})


def test_tier1_bundle_content_and_stable_rebuild(tmp_path: Path, configs: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    p = validated(store, configs, {"trainer.lr": 0.02})
    first, again = build_bundle(p, configs), build_bundle(store.get_proposal(p.id), configs)
    assert first.files == again.files and first.sha256 == again.sha256
    assert sorted(first.files) == ["config.diff", "proposal.yaml"]  # no generated code, no model diff
    doc = load_yaml(first.text("proposal.yaml"))
    assert doc["overrides"] == {"trainer.lr": 0.02} and doc["override_args"] == ["trainer.lr=0.02"]
    assert (doc["tier"], doc["brain"], doc["lineage"], doc["proposal_id"]) == (1, "strategist", "p1", p.id)
    assert doc["rationale"] == "because\nreasons" and doc["config_sha256"] == p.config_sha256
    diff = first.text("config.diff")
    assert "-  lr: 0.003\n+  lr: 0.02\n" in diff
    assert "  epochs: 20\n" in diff  # full context: the whole resolved config is in the diff


def test_state_changes_do_not_change_the_bundle(tmp_path: Path, configs: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    p = validated(store, configs, {"trainer.lr": 0.02})
    before = build_bundle(p, configs).sha256
    store.record_approval(p.id, "approved", "alice", bundle_sha256=before)
    claim = store.claim_next(p.campaign_id)
    assert claim is not None and claim.proposal.state == "running"
    assert build_bundle(claim.proposal, configs).sha256 == before


def test_base_config_proposal_says_so(tmp_path: Path, configs: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    p = validated(store, configs, {})
    assert build_bundle(p, configs).text("config.diff").startswith("# no difference")


def test_tier3_bundle_diffs_against_the_closest_builtin_and_carries_the_report(
    tmp_path: Path, configs: Path
) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    p = validated(store, configs, {"model": "wide_mlp"})
    bundle = build_bundle(p, configs)
    assert sorted(bundle.files) == ["config.diff", "model.diff", "proposal.yaml", "validator.json"]
    model = bundle.text("model.diff")
    assert model.startswith("--- builtin/mlp.py\n+++ generated/wide_mlp.py\n")
    assert "-class MLP(nn.Module):\n+class WideMLP(nn.Module):\n" in model
    assert " import math\n" in model  # unchanged lines are kept: the reviewer sees the whole file
    report = json.loads(bundle.text("validator.json"))["reports"][0]
    assert (
        report["accepted"] is True and report["path"] == "wide_mlp.py" and report["class_name"] == "WideMLP"
    )
    assert "closest_builtin: mlp.py" in bundle.text("proposal.yaml")
    assert "_target_: generated.wide_mlp.WideMLP" in bundle.text("config.diff")
    # the generated code changes -> the bundle changes (this is what refuses a run later)
    path = configs / "generated" / "models" / "wide_mlp.py"
    path.write_text(generated_model_source(hidden=512))
    assert build_bundle(p, configs).sha256 != bundle.sha256


def test_closest_model_picks_by_similarity(tmp_path: Path) -> None:
    (tmp_path / "alpha.py").write_text("a\nb\nc\nd\n")
    (tmp_path / "beta.py").write_text("x\ny\nc\nd\n")
    (tmp_path / "__init__.py").write_text("a\nb\nc\nd\n")
    closest, ratio = closest_model("a\nb\nc\nz\n", tmp_path)
    assert closest is not None and closest.name == "alpha.py" and ratio == pytest.approx(0.75)
    assert closest_model("anything", tmp_path / "empty")[0] is None


def test_written_bundle_hashes_to_its_seal(tmp_path: Path, configs: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    bundle = build_bundle(validated(store, configs, {"model": "wide_mlp"}), configs)
    folder = tmp_path / "reviews" / "c" / "1"
    sha = write_bundle(folder, bundle)
    assert sha == bundle.sha256 == folder_digest(folder) == read_seal(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*bundle.files, "bundle.sha256"])
    (folder / ".proposal.yaml.swp").write_text("editor state")  # hidden files do not count
    (folder / "decision.json").write_text("{}")  # nor does the decision
    assert folder_digest(folder) == sha
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_rewrite_replaces_the_whole_folder(tmp_path: Path) -> None:
    folder = tmp_path / "r" / "1"
    write_bundle(folder, Bundle({"a.txt": b"1", "stale.txt": b"x"}))
    sha = write_bundle(folder, Bundle({"a.txt": b"2"}))
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "bundle.sha256"]
    assert folder_digest(folder) == sha


@pytest.mark.parametrize(
    "tamper",
    ["edit", "append", "add", "remove", "rename", "truncate"],
)
def test_any_change_to_the_files_changes_the_digest(tmp_path: Path, tamper: str) -> None:
    folder = tmp_path / "r" / "1"
    sha = write_bundle(folder, Bundle({"config.diff": b"-a\n+b\n", "proposal.yaml": b"tier: 1\n"}))
    target = folder / "config.diff"
    if tamper == "edit":
        target.write_bytes(b"-a\n+c\n")
    elif tamper == "append":
        with target.open("ab") as handle:
            handle.write(b" ")
    elif tamper == "add":
        (folder / "notes.txt").write_text("added later")
    elif tamper == "remove":
        target.unlink()
    elif tamper == "rename":
        target.rename(folder / "config2.diff")
    else:
        target.write_bytes(b"")
    assert folder_digest(folder) != sha
    assert read_seal(folder) == sha  # the seal still says what Sentinel wrote


def test_links_subfolders_and_huge_files_make_a_bundle_invalid(tmp_path: Path) -> None:
    folder = tmp_path / "r" / "1"
    write_bundle(folder, Bundle({"a.txt": b"1"}))
    outside = tmp_path / "outside.txt"
    outside.write_text("1")
    (folder / "b.txt").symlink_to(outside)
    with pytest.raises(BundleInvalid, match="not a regular file"):
        folder_digest(folder)
    (folder / "b.txt").unlink()
    (folder / "sub").mkdir()
    with pytest.raises(BundleInvalid):
        folder_digest(folder)
    os.rmdir(folder / "sub")
    with (folder / "big.bin").open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)
    with pytest.raises(BundleInvalid, match="size"):
        folder_digest(folder)
    (folder / "big.bin").unlink()
    link = tmp_path / "r" / "2"
    link.symlink_to(folder)
    with pytest.raises(BundleInvalid, match="not a plain folder"):
        folder_digest(link)
    with pytest.raises(BundleInvalid, match="does not exist"):
        folder_digest(tmp_path / "r" / "3")


def test_a_malformed_seal_reads_as_none(tmp_path: Path) -> None:
    folder = tmp_path / "r" / "1"
    write_bundle(folder, Bundle({"a.txt": b"1"}))
    (folder / "bundle.sha256").write_text("not a digest\n")
    assert read_seal(folder) is None
    (folder / "bundle.sha256").unlink()
    assert read_seal(folder) is None
