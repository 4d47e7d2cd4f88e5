"""Loading models: registered targets by module path, tier-3 files only from the generated folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sentinel.sandbox.runtime.loader import ModelLoadError, build_hook, build_model

GOOD = """
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], output_dim: int, width: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(input_shape[-1], width), nn.ReLU(), nn.Linear(width, output_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class NotAModule:
    pass
"""


class _Data:
    input_shape, output_dim = (1, 8), 3


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    folder = tmp_path / "generated"
    folder.mkdir()
    (folder / "tiny_net.py").write_text(GOOD)
    return folder


def test_generated_model_is_imported_by_registered_name(generated: Path) -> None:
    model = build_model({"_target_": "generated.tiny_net.Tiny", "width": 6}, _Data(), generated)  # type: ignore[arg-type]
    assert model(torch.zeros(2, 1, 8)).shape == (2, 3) and model.net[1].out_features == 6


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("generated.missing.Tiny", "missing"),
        ("generated.tiny_net.Nope", "no nn.Module subclass Nope"),
        ("generated.tiny_net.NotAModule", "no nn.Module subclass"),
        ("generated.tiny_net", "neither registered nor"),
        ("generated.tiny_net.Tiny.x", "neither registered nor"),
        ("os.path.join", "neither registered nor"),
    ],
)
def test_bad_generated_targets(generated: Path, target: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        build_model({"_target_": target}, _Data(), generated)  # type: ignore[arg-type]


def test_symlinked_or_outside_files_are_refused(generated: Path, tmp_path: Path) -> None:
    outside = tmp_path / "evil.py"
    outside.write_text(GOOD)
    (generated / "evil.py").symlink_to(outside)
    with pytest.raises(ModelLoadError, match="not a regular file"):
        build_model({"_target_": "generated.evil.Tiny"}, _Data(), generated)  # type: ignore[arg-type]
    (generated / "folder.py").mkdir()
    with pytest.raises(ModelLoadError, match="not a regular file"):
        build_model({"_target_": "generated.folder.Tiny"}, _Data(), generated)  # type: ignore[arg-type]


def test_import_and_constructor_errors_are_one_line(generated: Path) -> None:
    (generated / "broken.py").write_text("raise RuntimeError('secret text')\n")
    with pytest.raises(ModelLoadError, match=r"^importing broken.py failed: RuntimeError$"):
        build_model({"_target_": "generated.broken.X"}, _Data(), generated)  # type: ignore[arg-type]
    with pytest.raises(ModelLoadError, match=r"building generated\.tiny_net\.Tiny failed: TypeError"):
        build_model({"_target_": "generated.tiny_net.Tiny", "nope": 1}, _Data(), generated)  # type: ignore[arg-type]


def test_monitor_hook_only_when_enabled() -> None:
    assert build_hook({"enabled": False, "window": 3}) is None
