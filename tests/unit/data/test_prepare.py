"""prepare_all / verify on a real data folder: layout, checksums, idempotence, atomicity."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from sentinel.sandbox.data import DataError, _store, prepare_all, verify

CHEAP = ["digits", "synthetic_vae"]  # no neurokit2: the mechanics, fast
SCALE = 0.05


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    prepare_all(root, names=CHEAP, scale=SCALE, workers=1)
    return root


def test_layout_meta_manifest_and_permissions(prepared: Path) -> None:
    manifest = json.loads((prepared / "MANIFEST.json").read_text())
    assert manifest["version"] == 2
    assert set(manifest["files"]) == {key for name in CHEAP for key in _store.dataset_files(name)}
    for key, digest in manifest["files"].items():
        path = prepared / key
        assert _store.sha256_file(path) == digest
        assert (
            stat.S_IMODE(path.stat().st_mode) == 0o644 and stat.S_IMODE(path.parent.stat().st_mode) == 0o755
        )
    meta = json.loads((prepared / "digits" / "meta.json").read_text())
    assert meta["task"] == "classification" and meta["classes"] == 10 and meta["input_shape"] == [1, 64]
    assert meta["scale"] == SCALE and sum(meta["sizes"].values()) >= 150
    with np.load(prepared / "digits" / "train.npz", allow_pickle=False) as arrays:
        assert arrays["x"].dtype == np.float32 and arrays["x"].shape[1:] == (1, 64)
        assert arrays["x"].min() >= 0.0 and arrays["x"].max() <= 1.0
    assert verify(prepared, CHEAP) == []
    assert not [p for p in prepared.iterdir() if p.name.startswith(".") and p.name != ".prepare.lock"]


def test_test_targets_live_only_in_the_heldout_sibling(prepared: Path) -> None:
    """The folder runs mount has the test inputs but no test targets anywhere in it."""
    held = _store.heldout_dir(prepared)
    assert held.parent == prepared.parent and held.name == "data.heldout"
    assert stat.S_IMODE(held.stat().st_mode) == 0o700
    for name in CHEAP:
        with np.load(prepared / name / "test_inputs.npz", allow_pickle=False) as arrays:
            assert list(arrays.keys()) == ["x"]
        with np.load(held / name / "test_targets.npz", allow_pickle=False) as arrays:
            assert list(arrays.keys()) == ["y"] and len(arrays["y"]) > 0
    for path in prepared.rglob("*.npz"):
        with np.load(path, allow_pickle=False) as arrays:
            assert path.name in {"train.npz", "val.npz"} or "y" not in arrays
    held_manifest = json.loads((held / "MANIFEST.json").read_text())
    assert set(held_manifest["files"]) == {f"{n}/test_targets.npz" for n in CHEAP}
    (held / "digits" / "test_targets.npz").write_bytes(b"tampered")
    assert any("held-out digits/test_targets.npz" in p for p in verify(prepared, CHEAP))


def test_second_call_reuses_verified_data_quickly(prepared: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in prepared.rglob("*.npz")}
    start = time.perf_counter()
    again = prepare_all(prepared, names=CHEAP, scale=SCALE, workers=1)
    assert time.perf_counter() - start < 2.0
    assert all(d.reused for d in again) and {p: p.stat().st_mtime_ns for p in before} == before
    assert [d.name for d in again] == CHEAP and again[0].sizes["train"] > 0


def test_force_and_scale_change_rebuild(prepared: Path) -> None:
    assert not any(d.reused for d in prepare_all(prepared, force=True, names=CHEAP, scale=SCALE, workers=1))
    rebuilt = prepare_all(prepared, names=CHEAP, scale=SCALE * 2, workers=1)
    assert not any(d.reused for d in rebuilt) and rebuilt[1].sizes["train"] > 16


def test_tampering_is_found_and_only_that_dataset_rebuilt(prepared: Path) -> None:
    path = prepared / "synthetic_vae" / "val.npz"
    path.write_bytes(path.read_bytes()[:-10])
    problems = verify(prepared, CHEAP)
    assert problems == ["synthetic_vae/val.npz: sha256 does not match MANIFEST.json"]
    result = {d.name: d.reused for d in prepare_all(prepared, names=CHEAP, scale=SCALE, workers=1)}
    assert result == {"digits": True, "synthetic_vae": False} and verify(prepared, CHEAP) == []


def test_a_crash_mid_write_leaves_the_old_dataset(prepared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = (prepared / "MANIFEST.json").read_text()
    old = (prepared / "digits" / "train.npz").read_bytes()
    calls = []

    def failing_save(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        np.savez(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_store.np, "savez_compressed", failing_save)
    with pytest.raises(DataError, match="building dataset 'digits' failed: OSError"):
        prepare_all(prepared, force=True, names=["digits"], scale=SCALE, workers=1)
    assert (prepared / "digits" / "train.npz").read_bytes() == old
    assert (prepared / "MANIFEST.json").read_text() == manifest
    assert sorted(p.name for p in prepared.iterdir()) == [".prepare.lock", "MANIFEST.json", *sorted(CHEAP)]


def test_leftovers_of_a_killed_preparer_are_removed(prepared: Path) -> None:
    (prepared / ".digits.x1y2").mkdir()
    (prepared / ".digits.x1y2" / "train.npz").write_bytes(b"half")
    (prepared / ".MANIFEST.json.tmp9").write_text("{")
    (prepared / ".digits.old.123").mkdir()
    prepare_all(prepared, names=CHEAP, scale=SCALE, workers=1)
    assert sorted(p.name for p in prepared.iterdir()) == [".prepare.lock", "MANIFEST.json", *sorted(CHEAP)]


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown dataset 'mnist'"):
        prepare_all(tmp_path, names=["mnist"])
    assert verify(tmp_path) == [f"{tmp_path / 'MANIFEST.json'}: missing (run `sentinel data prepare`)"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataError, match="cannot create data folder"):
        prepare_all(blocker / "data", names=["digits"])


def test_worker_processes_write_the_same_data(tmp_path: Path, prepared: Path) -> None:
    """The spawn pool (used for the real, slow build) gives byte-identical datasets."""
    parallel = tmp_path / "parallel"
    prepare_all(parallel, names=CHEAP, scale=SCALE, workers=2)
    assert json.loads((parallel / "MANIFEST.json").read_text()) == json.loads(
        (prepared / "MANIFEST.json").read_text()
    )
