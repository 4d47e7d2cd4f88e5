"""Review decisions on disk, finding bundles by id, their state, and a reviewer's override edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel.agent.errors import BadInput
from sentinel.agent.review import (
    AlreadyDecided,
    Bundle,
    BundleChanged,
    BundleInvalid,
    ReviewDecision,
    ReviewError,
    UnknownReview,
    apply_changes,
    bundle_folder,
    checked_overrides,
    find_bundle,
    inspect,
    list_bundles,
    printable,
    read_decision,
    record_decision,
    write_bundle,
)
from sentinel.sandbox.paths import CONFIGS_DIR

PROPOSAL = (
    b"experiment: digits\nseq: 2\ntier: 1\noverrides:\n  trainer.lr: 0.02\noverride_args: [trainer.lr=0.02]\n"
)


def make(root: Path, campaign: str = "quick-1", pid: int = 7) -> Path:
    folder = bundle_folder(root, campaign, pid)
    write_bundle(folder, Bundle({"proposal.yaml": PROPOSAL, "config.diff": b"-  lr: 0.003\n+  lr: 0.02\n"}))
    return folder


def test_approve_records_reviewer_and_digest(tmp_path: Path) -> None:
    folder = make(tmp_path)
    made, new = record_decision(folder, "approved", "alice@example.org", now=5.0)
    assert new and made == read_decision(folder)
    assert (made.decision, made.reviewer, made.decided_at) == ("approved", "alice@example.org", 5.0)
    assert made.bundle_sha256 == inspect(folder).sealed == inspect(folder).current
    assert json.loads((folder / "decision.json").read_text())["bundle_sha256"] == made.bundle_sha256


def test_repeating_the_same_answer_is_a_no_op(tmp_path: Path) -> None:
    folder = make(tmp_path)
    first, _ = record_decision(folder, "approved", "alice", now=1.0)
    again, new = record_decision(folder, "approved", "bob", now=2.0)
    assert not new and again == first  # the first decision stands, with its reviewer and time


def test_a_decision_is_final(tmp_path: Path) -> None:
    folder = make(tmp_path)
    record_decision(folder, "approved", "alice")
    with pytest.raises(AlreadyDecided, match="already approved by alice"):
        record_decision(folder, "rejected", "alice")
    with pytest.raises(AlreadyDecided):
        record_decision(folder, "modified", "alice", overrides={"trainer.lr": 0.01})


def test_approving_again_after_the_bundle_changed_is_refused(tmp_path: Path) -> None:
    folder = make(tmp_path)
    record_decision(folder, "approved", "alice")
    (folder / "config.diff").write_text("+  lr: 0.9\n")
    with pytest.raises(BundleChanged) as err:
        record_decision(folder, "approved", "alice")
    assert err.value.exit_code == 2
    assert inspect(folder).changed_after_decision and not inspect(folder).intact


def test_an_edited_bundle_cannot_be_approved_but_can_be_rejected(tmp_path: Path) -> None:
    folder = make(tmp_path)
    (folder / "proposal.yaml").write_bytes(PROPOSAL.replace(b"0.02", b"0.2"))
    with pytest.raises(BundleChanged, match="since Sentinel wrote it"):
        record_decision(folder, "approved", "alice")
    assert not (folder / "decision.json").exists()
    made, _ = record_decision(folder, "rejected", "alice")
    assert made.bundle_sha256 == inspect(folder).current


def test_an_unsealed_or_damaged_bundle_cannot_be_approved(tmp_path: Path) -> None:
    folder = make(tmp_path)
    (folder / "bundle.sha256").unlink()
    with pytest.raises(BundleInvalid, match="no seal"):
        record_decision(folder, "approved", "alice")
    other = make(tmp_path, pid=8)
    (other / "extra").mkdir()
    with pytest.raises(BundleInvalid):
        record_decision(other, "approved", "alice")
    made, _ = record_decision(other, "rejected", "alice")  # rejecting never needs trust in the files
    assert made.bundle_sha256 == inspect(other).sealed


@pytest.mark.parametrize("reviewer", ["", "has space", "-lead", "x" * 65, "a/b"])
def test_reviewer_names_follow_the_store(tmp_path: Path, reviewer: str) -> None:
    with pytest.raises(ReviewError):
        record_decision(make(tmp_path), "approved", reviewer)


def test_modified_decision_carries_the_full_overrides(tmp_path: Path) -> None:
    folder = make(tmp_path)
    made, _ = record_decision(folder, "modified", "carol", overrides={"trainer.lr": 0.004, "model": "cnn1d"})
    assert dict(read_decision(folder).overrides) == {"trainer.lr": 0.004, "model": "cnn1d"}
    assert made.decision == "modified"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"decision": "maybe", "reviewer": "a", "bundle_sha256": null, "decided_at": 1}',
        '{"decision": "approved", "reviewer": "a", "bundle_sha256": "abc", "decided_at": 1}',
        '{"decision": "approved", "reviewer": "a", "bundle_sha256": null, "decided_at": "now"}',
        '{"decision": "approved", "reviewer": "a", "bundle_sha256": null, "decided_at": 1, "x": 1}',
        '{"decision": "modified", "reviewer": "a", "bundle_sha256": null, "decided_at": 1}',
    ],
)
def test_malformed_decision_files_are_unreadable_not_guessed(tmp_path: Path, content: str) -> None:
    folder = make(tmp_path)
    (folder / "decision.json").write_text(content)
    with pytest.raises(BundleInvalid, match=r"decision\.json"):
        read_decision(folder)
    assert "decision.json" in inspect(folder).problem


def test_review_decision_checks_itself() -> None:
    with pytest.raises(ValueError):
        ReviewDecision("approved", "alice", "0" * 63, 0.0)
    with pytest.raises(ValueError):
        ReviewDecision("modified", "alice", None, 0.0, {"trainer.lr": [1]})


def test_find_by_id_or_campaign_slash_id(tmp_path: Path) -> None:
    a = make(tmp_path, "quick-1", 7)
    assert find_bundle(tmp_path, "7") == a == find_bundle(tmp_path, "quick-1/7")
    make(tmp_path, "other-2", 7)
    with pytest.raises(ReviewError, match="ambiguous"):
        find_bundle(tmp_path, "7")
    assert find_bundle(tmp_path, "other-2/7").parent.name == "other-2"
    for bad in ("8", "quick-1/8", "nope/7"):
        with pytest.raises(UnknownReview):
            find_bundle(tmp_path, bad)
    for bad in ("x", "../7", "quick-1/../7", "0", "-1", "Q/7"):
        with pytest.raises(ReviewError):
            find_bundle(tmp_path, bad)
    with pytest.raises(UnknownReview):
        find_bundle(tmp_path / "missing", "7")


def test_list_states_and_filter(tmp_path: Path) -> None:
    make(tmp_path, "quick-1", 7)
    record_decision(make(tmp_path, "quick-1", 9), "rejected", "bob")
    make(tmp_path, "other-2", 3)
    (tmp_path / "not a campaign").mkdir()
    (tmp_path / "quick-1" / "notes").mkdir()
    found = list_bundles(tmp_path)
    assert [(s.campaign, s.proposal_id, s.state) for s in found] == [
        ("other-2", 3, "pending"),
        ("quick-1", 7, "pending"),
        ("quick-1", 9, "rejected"),
    ]
    assert [s.proposal_id for s in list_bundles(tmp_path, "quick-1")] == [7, 9]
    assert found[1].proposal["seq"] == 2 and found[1].to_json()["overrides"] == ["trainer.lr=0.02"]
    assert list_bundles(tmp_path / "missing") == []


def test_apply_changes() -> None:
    base = {"trainer.lr": 0.02, "model": "mlp"}
    assert apply_changes(base, ["trainer.lr=0.005", "trainer.epochs=3"]) == {
        "trainer.lr": 0.005,
        "model": "mlp",
        "trainer.epochs": 3,
    }
    assert apply_changes(base, ["-model"]) == {"trainer.lr": 0.02}
    for bad in (["-trainer.epochs"], ["trainer.faults=[]"], ["trainer.lr"], ["Trainer.LR=1"], []):
        with pytest.raises(BadInput):
            apply_changes(base, bad)


def test_checked_overrides_must_compose_and_change_something() -> None:
    doc = {"experiment": "digits", "overrides": {"trainer.lr": 0.02}}
    assert checked_overrides(doc, ["model=cnn1d"], CONFIGS_DIR) == {"trainer.lr": 0.02, "model": "cnn1d"}
    with pytest.raises(BadInput, match="unknown model entry"):
        checked_overrides(doc, ["model=nope"], CONFIGS_DIR)
    with pytest.raises(BadInput):
        checked_overrides(doc, ["trainer.lr=fast"], CONFIGS_DIR)
    with pytest.raises(BadInput, match="approve it instead"):
        checked_overrides(doc, ["trainer.lr=0.02"], CONFIGS_DIR)
    with pytest.raises(BadInput, match="no overrides"):
        checked_overrides({"experiment": "digits"}, ["trainer.lr=0.1"], CONFIGS_DIR)


def test_printable_makes_control_characters_visible() -> None:
    assert printable("a\tb\nc\x1b[2J\x07") == "a\tb\nc\\x1b[2J\\x07"
