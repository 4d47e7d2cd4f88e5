"""The registry and the shared config check: defaults, bounds, types, targets, faults, monitor."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from sentinel.contract import registry
from sentinel.contract.config import ConfigInvalid, dump_yaml, load_yaml, validate_config

from .conftest import MODELS, make_config

RUNTIME = Path(registry.__file__).parent


def test_registry_is_pure_data() -> None:
    """The host imports it to validate configs: stdlib only, never torch or numpy."""
    tree = ast.parse((RUNTIME / "registry.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imported <= {"__future__", "re", "collections", "dataclasses", "types", "typing"}


def test_every_registered_target_exists() -> None:
    import importlib

    for target in registry.TARGETS:
        module, name = registry.split_target(target)
        assert isinstance(importlib.import_module(module).__dict__[name], type), target


def test_defaults_are_filled() -> None:
    cfg = make_config()
    assert cfg["trainer"]["lr"] == 1.0e-3 and cfg["trainer"]["faults"] == []
    assert cfg["model"]["hidden"] == 128 and cfg["monitor"] == {"enabled": False}
    assert validate_config(cfg) == cfg  # idempotent: the container re-checks the host's output


def test_round_trip_through_yaml() -> None:
    cfg = make_config(lr=1e-6, faults=[{"kind": "nan_loss", "at_step": 3}])
    assert validate_config(load_yaml(dump_yaml(cfg))) == cfg


def test_yaml_reads_exponent_floats_and_rejects_duplicates() -> None:
    assert load_yaml("a: 1e-3\nb: -2E5\nc: e5") == {"a": 1e-3, "b": -2e5, "c": "e5"}
    with pytest.raises(ConfigInvalid, match="duplicate key"):
        load_yaml("a: 1\na: 2")
    with pytest.raises(ConfigInvalid, match="not valid YAML"):
        load_yaml("a: [1")
    with pytest.raises(ConfigInvalid):
        load_yaml("!!python/object/apply:os.system ['true']")


def _with(section: str, **values: Any) -> dict[str, Any]:
    cfg = make_config()
    cfg[section] = {**cfg[section], **values}
    return cfg


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (_with("trainer", lr=50.0), r"trainer\.lr 50\.0 is above the maximum 10\.0"),
        (_with("trainer", lr=0.0), "below the minimum"),
        (_with("trainer", lr="fast"), "trainer.lr must be a number"),
        (_with("trainer", lr=float("nan")), "must be finite"),
        (_with("trainer", epochs=2.5), "trainer.epochs must be an integer"),
        (_with("trainer", epochs=True), "trainer.epochs must be an integer, got True"),
        (_with("trainer", deterministic="yes"), "must be true or false"),
        (_with("trainer", optimizer="adam"), "'adam' is not one of adamw, sgd"),
        (_with("trainer", lrr=1), r"unknown key trainer\.lrr"),
        (_with("model", _target_="os.system"), "not in the registry"),
        (_with("model", _target_="sentinel.sandbox.runtime.trainer.Trainer"), "belongs to group 'trainer'"),
        (_with("dataset", name="../etc"), "is not one of"),
        (_with("trainer", faults=[{"kind": "boom", "at_step": 1}]), "kind 'boom' is not one of"),
        (
            _with("trainer", faults=[{"kind": "nan_loss"}]),
            r"missing required key trainer\.faults\[0\]\.at_step",
        ),
        (_with("trainer", faults=[{"kind": "nan_loss", "at_step": 1, "factor": 2}]), "unknown key"),
        (_with("trainer", faults=[{"kind": "nan_loss", "at_step": 1}] * 40), "at most 32"),
        (_with("monitor", enabled="on"), "monitor.enabled must be true or false"),
        (_with("monitor", window=float("inf")), "must be finite"),
        (_with("monitor", bad_key={"a": {"b": {"c": {"d": {"e": 1}}}}}), "nested deeper"),
    ],
)
def test_bad_configs_are_rejected_with_a_named_path(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        validate_config(cfg)


def test_structure_errors() -> None:
    with pytest.raises(ConfigInvalid, match="must be a mapping"):
        validate_config([1])
    cfg = make_config()
    del cfg["trainer"]
    with pytest.raises(ConfigInvalid, match="missing section 'trainer'"):
        validate_config(cfg)
    with pytest.raises(ConfigInvalid, match="unknown top-level key 'extra'"):
        validate_config({**make_config(), "extra": {}})
    with pytest.raises(ConfigInvalid, match=r"experiment\.name"):
        validate_config({**make_config(), "experiment": {"name": "../x"}})


def test_model_task_compatibility() -> None:
    with pytest.raises(ConfigInvalid, match="cannot train on dataset 'digits'"):
        make_config(model="vae")
    with pytest.raises(ConfigInvalid, match="cannot train on dataset 'synthetic_vae'"):
        make_config(dataset="synthetic_vae", model="cnn1d")
    assert make_config(dataset="synthetic_vae", model="vae")["model"]["latent_dim"] == 16


def test_generated_models_get_generic_bounds() -> None:
    cfg = _with("model", _target_="generated.my_net.MyNet")
    cfg["model"] = {"_target_": "generated.my_net.MyNet", "width": 64, "rate": 0.1, "act": "relu", "bn": True}
    assert validate_config(cfg)["model"]["width"] == 64
    for bad, message in [
        ({"width": 10**9}, "above the maximum"),
        ({"act": "rm -rf /"}, "short plain string"),
        ({"nested": {"a": 1}}, "short plain string"),
        ({"__class__": 1}, "identifier"),
    ]:
        cfg["model"] = {"_target_": "generated.my_net.MyNet", **bad}
        with pytest.raises(ConfigInvalid, match=message):
            validate_config(cfg)
    for target in ("generated.../etc.X", "generated.a.b.C", "generated.1bad.X"):
        cfg["model"] = {"_target_": target}
        with pytest.raises(ConfigInvalid, match="not in the registry"):
            validate_config(cfg)


def test_monitor_keys_pass_through_unchanged() -> None:
    cfg = _with("monitor", enabled=True, window=256, lr_cut_factor=0.3, names=["a", "b"])
    assert validate_config(cfg)["monitor"] == {
        "enabled": True,
        "window": 256,
        "lr_cut_factor": 0.3,
        "names": ["a", "b"],
    }


def test_all_models_registered_in_tests_helper() -> None:
    assert set(MODELS.values()) == {t for t, spec in registry.TARGETS.items() if spec.group == "model"}
