"""Tier-2 policy: safe YAML, same _target_, types kept, registry bounds, output under generated/."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.contract.registry import TARGETS
from sentinel.validator import ConfigRejected, validate_config_variant

CNN = "sentinel.sandbox.runtime.models.cnn1d.CNN1d"
TRAINER = "sentinel.sandbox.runtime.trainer.Trainer"
BASE = {"_target_": CNN, "channels": 16, "depth": 3, "kernel_size": 7, "dropout": 0.0}
TRAINER_BASE = {"_target_": TRAINER, "lr": 0.001, "epochs": 10, "grad_clip": None, "faults": []}


def _reasons(text: str, base: dict[str, object] = BASE, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigRejected) as info:
        validate_config_variant(text, base, **kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == 1
    return list(info.value.reasons)


def test_a_plain_variant_passes_and_merges() -> None:
    variant = validate_config_variant(f"# wider\n_target_: {CNN}\nchannels: 64\ndropout: 0.2\n", BASE)
    assert variant.values == {"_target_": CNN, "channels": 64, "dropout": 0.2}
    assert variant.merged["depth"] == 3 and variant.merged["channels"] == 64


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['id']",
        "!!python/name:os.system",
        "!!int '3'",
        "!!str 3",
        "!custom 3",
    ],
)
def test_every_explicit_tag_is_refused(value: str) -> None:
    assert "explicit YAML tags are not allowed" in _reasons(f"_target_: {CNN}\nchannels: {value}\n")


def test_anchors_aliases_and_directives_are_refused() -> None:
    laughs = f"_target_: {CNN}\na: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert {"YAML anchors are not allowed", "YAML aliases are not allowed"} <= set(_reasons(laughs))
    assert "YAML directives are not allowed" in _reasons(f"%YAML 1.1\n---\n_target_: {CNN}\n")


def test_duplicate_keys_and_deep_nesting_are_refused() -> None:
    assert "duplicate key 'channels'" in _reasons(f"_target_: {CNN}\nchannels: 8\nchannels: 64\n")
    deep = f"_target_: {CNN}\nchannels: " + "[" * 200 + "]" * 200 + "\n"
    assert any("nests deeper" in r for r in _reasons(deep))


def test_target_must_equal_the_base() -> None:
    other = "sentinel.sandbox.runtime.models.mlp.MLP"
    assert any("_target_ must stay" in r for r in _reasons(f"_target_: {other}\nhidden: 8\n"))
    assert any("_target_ must stay" in r for r in _reasons("channels: 8\n"))


@pytest.mark.parametrize(
    ("line", "phrase"),
    [
        ("channels: 32.0", "type changed from int to float"),
        ("channels: true", "type changed from int to bool"),
        ("dropout: 1", "above the maximum 0.9"),  # an int is a fine float (contract.params)
        ("channels: '32'", "type changed from int to str"),
        ("channels: 100000", "above the maximum 256"),
        ("dropout: -0.5", "below the minimum 0.0"),
        ("dropout: .nan", "must be finite"),
        ("lr: 0.1", "not a parameter"),
    ],
)
def test_types_are_kept_and_bounds_hold(line: str, phrase: str) -> None:
    assert any(phrase in r for r in _reasons(f"_target_: {CNN}\n{line}\n"))


def test_yaml_float_without_a_dot_gets_a_hint() -> None:
    reasons = _reasons(f"_target_: {TRAINER}\nlr: 1e-3\n", TRAINER_BASE)
    assert any("write 1.0e-3" in r for r in reasons)


def test_nullable_and_fault_params() -> None:
    ok = f"_target_: {TRAINER}\ngrad_clip: 1.0\nfaults:\n  - {{kind: nan_loss, at_step: 5}}\n"
    assert validate_config_variant(ok, TRAINER_BASE).values["grad_clip"] == 1.0
    bad = f"_target_: {TRAINER}\nfaults:\n  - {{kind: rm_rf, at_step: 5}}\n  - {{kind: lr_spike}}\n"
    reasons = _reasons(bad, TRAINER_BASE)
    assert any("faults[0].kind 'rm_rf' is not one of" in r for r in reasons) and any(
        "missing required key faults[1].at_step" in r for r in reasons
    )


def test_generated_model_targets_use_generic_bounds() -> None:
    base = {"_target_": "generated.tiny.Model", "hidden": 8}
    assert (
        validate_config_variant("_target_: generated.tiny.Model\nhidden: 16\n", base).values["hidden"] == 16
    )
    assert any(
        "must be int, float, bool or str" in r
        for r in _reasons("_target_: generated.tiny.Model\nwidth: [1]\n", base)
    )
    assert any(
        "does not match" in r for r in _reasons("_target_: generated.tiny.Model\nact: 'rm -rf /'\n", base)
    )


def test_not_a_mapping_or_not_yaml() -> None:
    assert _reasons("- 1\n") == ["variant must be a mapping, got list"]
    assert any("not valid YAML" in r for r in _reasons("a: [\n"))
    assert any("larger than" in r for r in _reasons("a: '" + "x" * 70_000 + "'\n"))


def test_every_problem_is_reported_at_once() -> None:
    assert len(_reasons(f"_target_: {CNN}\nchannels: 1.5\nkernel_size: 99\nlr: 1.0\n")) == 3


@pytest.mark.parametrize(
    "output",
    ["../x.yaml", "/etc/x.yaml", "~/x.yaml", "models/x.yaml", "generated/../models/x.yaml",
     "generated/./x.yaml", "generated/x.yml", "generated\\x.yaml", "generated/a/b/c/d.yaml",
     "generated/x y.yaml", "generated"],
)  # fmt: skip
def test_output_paths_outside_generated_are_refused(tmp_path: Path, output: str) -> None:
    _reasons(f"_target_: {CNN}\n", configs_dir=tmp_path, output=output)


def test_output_path_is_resolved_under_generated(tmp_path: Path) -> None:
    variant = validate_config_variant(
        f"_target_: {CNN}\n", BASE, configs_dir=tmp_path, output="generated/models/cnn1d_wide.yaml"
    )
    assert variant.output_path == tmp_path / "generated" / "models" / "cnn1d_wide.yaml"


def test_symlinks_on_the_way_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "models").symlink_to(outside, target_is_directory=True)
    reasons = _reasons(f"_target_: {CNN}\n", configs_dir=tmp_path, output="generated/models/x.yaml")
    assert any("symlink" in r for r in reasons)
    (tmp_path / "generated" / "y.yaml").symlink_to(outside / "y.yaml")
    assert any(
        "symlink" in r
        for r in _reasons(f"_target_: {CNN}\n", configs_dir=tmp_path, output="generated/y.yaml")
    )


def test_registry_targets_are_all_checkable() -> None:
    for target, spec in TARGETS.items():
        base = {"_target_": target, **{k: p.default for k, p in spec.params.items() if not p.required}}
        required = {k: p for k, p in spec.params.items() if p.required}
        if not required:
            assert validate_config_variant(f"_target_: {target}\n", base).target == target


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_is_rejected_or_accepted_never_raised_otherwise(text: str) -> None:
    with contextlib.suppress(ConfigRejected):
        validate_config_variant(text, BASE)
