"""Built-in models: every constructor on every dataset shape, and the tier-3 file policy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from sentinel.contract.registry import TARGETS
from sentinel.sandbox.runtime.loader import build_model
from sentinel.validator import validate_path

from .conftest import MODELS

MODEL_DIR = Path(build_model.__code__.co_filename).parent / "models"
ALLOWED_IMPORTS = {"torch", "torch.nn", "torch.nn.functional", "math", "typing"}
SHAPES = [((1, 64), 10), ((1, 200), 1), ((1, 500), 4)]


class _Data:
    def __init__(self, shape: tuple[int, ...], output_dim: int) -> None:
        self.input_shape, self.output_dim = shape, output_dim


@pytest.mark.parametrize("name", ["mlp", "cnn1d", "resnet1d", "transformer"])
@pytest.mark.parametrize(("shape", "out"), SHAPES)
def test_supervised_models_forward(name: str, shape: tuple[int, ...], out: int, tmp_path: Path) -> None:
    model = build_model({"_target_": MODELS[name]}, _Data(shape, out), tmp_path)  # type: ignore[arg-type]
    y = model(torch.randn(3, *shape))
    assert y.shape == (3, out)
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_vae_returns_logits_mu_logvar(tmp_path: Path) -> None:
    model = build_model({"_target_": MODELS["vae"], "latent_dim": 8}, _Data((1, 784), 784), tmp_path)  # type: ignore[arg-type]
    logits, mu, logvar = model(torch.rand(5, 1, 784))
    assert logits.shape == (5, 784) and mu.shape == logvar.shape == (5, 8)
    model.eval()
    x = torch.rand(2, 1, 784)
    assert torch.equal(model(x)[0], model(x)[0])  # eval decodes the mean: no sampling noise


def test_every_registry_param_is_a_constructor_argument(tmp_path: Path) -> None:
    for name, target in MODELS.items():
        params = {k: p.default for k, p in TARGETS[target].params.items()}
        shape, out = ((1, 784), 784) if name == "vae" else ((1, 64), 3)
        build_model({"_target_": target, **params}, _Data(shape, out), tmp_path)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", sorted(p for p in MODEL_DIR.glob("*.py") if p.name != "__init__.py"))
def test_model_files_pass_the_tier3_policy(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= ALLOWED_IMPORTS, path.name
        elif isinstance(node, ast.ImportFrom):
            assert node.module in ALLOWED_IMPORTS | {"torch"}, path.name
        elif isinstance(node, ast.Name):
            assert node.id not in {"getattr", "setattr", "eval", "exec", "open", "__import__"}, path.name
        elif isinstance(node, ast.Attribute):
            assert node.attr == "__init__" or not node.attr.startswith("__"), f"{path.name}: {node.attr}"
    report = validate_path(path)
    assert report.accepted, [(v.code, v.message) for v in report.violations]
