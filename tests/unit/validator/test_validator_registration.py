"""Registration writes accepted code and its config under configs/generated, and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from validator_testkit import model_source

from sentinel.validator import InvalidName, InvalidParams, ModelRejected, register_generated_model


def _written(configs: Path) -> list[str]:
    return sorted(p.relative_to(configs).as_posix() for p in configs.rglob("*") if p.is_file())


def test_accepted_model_is_written_with_its_config(tmp_path: Path) -> None:
    source = model_source()
    registration = register_generated_model(source, "tiny_mlp", tmp_path, params={"hidden": 16})
    assert registration.target == "generated.tiny_mlp.Model"
    assert registration.module_path == tmp_path / "generated" / "models" / "tiny_mlp.py"
    assert registration.module_path.read_bytes() == source.encode("utf-8")
    config = yaml.safe_load(registration.config_path.read_text(encoding="utf-8"))
    assert config == {"_target_": "generated.tiny_mlp.Model", "hidden": 16}
    assert registration.sha256 in registration.config_path.read_text(encoding="utf-8")
    assert _written(tmp_path) == ["generated/models/tiny_mlp.py", "generated/models/tiny_mlp.yaml"]
    assert not any("tiny_mlp" in name for name in sys.modules)  # parsed, never imported


def test_rejected_model_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ModelRejected) as info:
        register_generated_model(model_source(forward="return eval('x')"), "evil", tmp_path)
    assert info.value.exit_code == 1
    assert "SV103" in info.value.report.codes
    assert _written(tmp_path) == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Tiny",
        "1model",
        "os",
        "torch",
        "class",
        "match",
        "../escape",
        "a/b",
        "x" * 65,
        "conftest",
        "test_x",
    ],
)
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidName) as info:
        register_generated_model(model_source(), name, tmp_path)
    assert info.value.exit_code == 2
    assert _written(tmp_path) == []


@pytest.mark.parametrize(
    "params",
    [
        {"hidden": [1, 2]},
        {"hidden": 10**9},
        {"hidden": float("nan")},
        {"unknown": 1},
        {"input_shape": (1,)},
        {"hidden": "x y"},
        {"_target_": "os.system"},
    ],
)
def test_bad_params_are_refused(tmp_path: Path, params: dict[str, object]) -> None:
    with pytest.raises(InvalidParams):
        register_generated_model(model_source(), "tiny", tmp_path, params=params)
    assert _written(tmp_path) == []


def test_open_ended_constructor_accepts_any_plain_param(tmp_path: Path) -> None:
    source = model_source(signature="self, input_shape, output_dim, **params")
    registration = register_generated_model(source, "tiny", tmp_path, params={"width": 8, "act": "gelu"})
    assert registration.params == {"width": 8, "act": "gelu"}


def test_class_choice(tmp_path: Path) -> None:
    other = (
        "class Other(nn.Module):\n    def __init__(self, input_shape, output_dim):\n"
        "        super().__init__()\n\n    def forward(self, x):\n        return x"
    )
    source = model_source(top=other)
    with pytest.raises(InvalidName, match="several classes"):
        register_generated_model(source, "two", tmp_path)
    assert (
        register_generated_model(source, "two", tmp_path, class_name="Other").target == "generated.two.Other"
    )
    with pytest.raises(ModelRejected):
        register_generated_model(source, "three", tmp_path, class_name="Missing")


def test_existing_name_needs_overwrite_for_different_code(tmp_path: Path) -> None:
    register_generated_model(model_source(), "tiny", tmp_path)
    register_generated_model(model_source(), "tiny", tmp_path)  # identical: fine
    changed = model_source(init="self.extra = nn.Identity()")
    with pytest.raises(InvalidName, match="already registered"):
        register_generated_model(changed, "tiny", tmp_path)
    register_generated_model(changed, "tiny", tmp_path, overwrite=True)
    assert (tmp_path / "generated" / "models" / "tiny.py").read_text(encoding="utf-8") == changed


def test_symlinked_generated_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "generated").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidName, match="real directory"):
        register_generated_model(model_source(), "tiny", configs)
    assert list(outside.iterdir()) == []


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    register_generated_model(model_source(), "tiny", tmp_path)
    assert not [p for p in (tmp_path / "generated" / "models").iterdir() if p.name.startswith(".")]
