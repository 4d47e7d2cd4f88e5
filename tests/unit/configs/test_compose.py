"""compose(): experiments, group picks, dotted overrides, generated models, and every rejection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sentinel.agent.configs import ResolvedConfig, compose, entries, experiments, parse_override
from sentinel.agent.errors import ConfigError
from sentinel.contract.config import load_yaml, validate_config

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
OFF = "monitor.enabled=false"


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    """A private copy of configs/ so tests can add entries without touching the repository."""
    root = tmp_path / "configs"
    shutil.copytree(CONFIGS, root, ignore=shutil.ignore_patterns("generated"))
    (root / "generated" / "models").mkdir(parents=True)
    return root


def test_every_experiment_composes_and_round_trips() -> None:
    assert set(experiments(CONFIGS)) >= {"ppg_hr", "digits", "ecg_rhythm", "vae"}
    for name in experiments(CONFIGS):
        resolved = compose(name, [OFF], CONFIGS)
        assert isinstance(resolved, ResolvedConfig) and resolved.config["experiment"]["name"] == name
        assert validate_config(load_yaml(resolved.to_yaml())) == resolved.config
        assert resolved.generated_files == () and len(resolved.sha256) == 64


def test_groups_list_their_entries() -> None:
    assert entries(CONFIGS, "model") == ["cnn1d", "mlp", "resnet1d", "transformer", "vae"]
    assert entries(CONFIGS, "dataset") == ["digits", "ecg_rhythm", "ppg_hr", "synthetic_vae"]
    with pytest.raises(ConfigError):
        entries(CONFIGS, "optimizer")


def test_overrides_pick_entries_and_set_typed_values() -> None:
    cfg = compose(
        "ppg_hr",
        [
            "model=mlp",
            "trainer.lr=1e-6",
            "trainer.max_steps=7",
            "model.hidden=64",
            "trainer.grad_clip=null",
            "experiment.seed=3",
            OFF,
        ],
        CONFIGS,
    ).config
    assert cfg["model"]["_target_"].endswith("mlp.MLP") and cfg["model"]["hidden"] == 64
    assert cfg["trainer"]["lr"] == 1e-6 and cfg["trainer"]["max_steps"] == 7
    assert cfg["trainer"]["grad_clip"] is None and cfg["experiment"]["seed"] == 3
    assert cfg["trainer"]["epochs"] == 8  # the experiment's own override still applies


def test_experiment_given_the_design_way() -> None:
    a = compose("experiment=ppg_hr", ["trainer.lr=0.001", "model=cnn1d", OFF], CONFIGS)
    b = compose("ppg_hr", ["experiment=ppg_hr", "trainer.lr=0.001", OFF], CONFIGS)
    assert a.config == b.config and a.sha256 == b.sha256
    with pytest.raises(ConfigError, match="conflicts with experiment"):
        compose("ppg_hr", ["experiment=digits"], CONFIGS)


def test_faults_list_from_the_command_line() -> None:
    cfg = compose(
        "vae", ["trainer.faults=[{kind: grad_explosion, at_step: 50, factor: 1e3}]", OFF], CONFIGS
    ).config
    assert cfg["trainer"]["faults"] == [
        {"kind": "grad_explosion", "at_step": 50, "factor": 1000.0, "duration": 1}
    ]


def test_later_overrides_win_and_digest_follows_content() -> None:
    a = compose("digits", ["trainer.lr=0.1", "trainer.lr=0.2", OFF], CONFIGS)
    b = compose("digits", ["trainer.lr=0.2", OFF], CONFIGS)
    c = compose("digits", ["trainer.lr=0.3", OFF], CONFIGS)
    assert a.config["trainer"]["lr"] == 0.2 and a.sha256 == b.sha256 != c.sha256


def test_repicking_a_group_keeps_only_fitting_experiment_overrides(configs: Path) -> None:
    (configs / "experiments" / "custom.yaml").write_text(
        yaml.safe_dump(
            {
                "defaults": {"dataset": "ppg_hr", "model": "mlp", "trainer": "default"},
                "overrides": {"model.hidden": 32, "model.dropout": 0.1, "trainer.epochs": 3},
            }
        )
    )
    assert compose("custom", [OFF], configs).config["model"]["hidden"] == 32
    cfg = compose("custom", ["model=cnn1d", "trainer=sgd", OFF], configs).config
    assert "hidden" not in cfg["model"] and cfg["model"]["dropout"] == 0.1  # CNN1d has dropout too
    assert cfg["trainer"]["optimizer"] == "sgd" and cfg["trainer"]["epochs"] == 3


@pytest.mark.parametrize(
    ("experiment", "overrides", "message"),
    [
        ("nope", [], r"unknown experiment 'nope' \(known: .*ppg_hr"),
        ("../etc/passwd", [], "not a plain name"),
        ("ppg_hr", ["model=nope"], r"unknown model entry 'nope' \(known: cnn1d"),
        ("ppg_hr", ["model=../x"], "not a valid entry name"),
        ("ppg_hr", ["optimizer=sgd"], "'optimizer' is not a config group"),
        ("ppg_hr", ["trainer.lrr=1"], r"unknown key trainer\.lrr"),
        ("ppg_hr", ["trainer.lr=fast"], "trainer.lr must be a number"),
        ("ppg_hr", ["trainer.lr=100"], "above the maximum"),
        ("ppg_hr", ["trainer.epochs=2.5"], "must be an integer"),
        ("ppg_hr", ["model._target_=os.system"], "not in the registry"),
        ("ppg_hr", ["model=vae"], "cannot train on dataset 'ppg_hr'"),
        ("ppg_hr", ["trainer.faults=[{kind: boom, at_step: 1}]"], "kind 'boom'"),
        ("ppg_hr", ["lr"], "malformed override 'lr'"),
        ("ppg_hr", ["trainer.lr"], "malformed override"),
        ("ppg_hr", ["+trainer.extra=1"], "not supported"),
        ("ppg_hr", ["optim.lr=1"], "unknown section 'optim'"),
        ("ppg_hr", ["trainer.lr=[1"], "value is not valid YAML"),
        ("ppg_hr", ["trainer.lr=${oc.env:HOME}"], "interpolations"),
        ("ppg_hr", ["trainer.lr=!!python/name:os.system"], "value is not valid YAML"),
        ("ppg_hr", ["trainer.lr.x=1"], "cannot apply overrides|must be a number"),
    ],
)
def test_rejections_are_config_errors_with_one_clear_line(
    experiment: str, overrides: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        compose(experiment, overrides, CONFIGS)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: 0\n", "defaults names no 'dataset'"),
        ("defaults: {dataset: digits, model: mlp, trainer: default}\nextra: 1\n", "unknown key 'extra'"),
        ("defaults: {dataset: digits, model: mlp, trainer: default}\noverrides: {lr: 1}\n", "dotted key"),
        ("defaults: {dataset: digits, model: mlp, trainer: default}\nseed: x\n", "experiment.seed must be"),
        ("defaults: {dataset: digits, model: mlp, trainer: default, optimizer: x}\n", "defaults must map"),
        ("defaults: {dataset: digits, model: '${x}', trainer: default}\n", "interpolations"),
        ("- a\n", "must be a mapping"),
    ],
)
def test_bad_experiment_files(configs: Path, text: str, message: str) -> None:
    (configs / "experiments" / "bad.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        compose("bad", [], configs)


def test_generated_models_are_found_and_their_files_returned(configs: Path) -> None:
    folder = configs / "generated" / "models"
    (folder / "tiny_net.yaml").write_text("_target_: generated.tiny_net.Tiny\nwidth: 48\n")
    (folder / "tiny_net.py").write_text("# code registered by the validator\n")
    resolved = compose("digits", ["model=tiny_net", OFF], configs)
    assert resolved.config["model"] == {"_target_": "generated.tiny_net.Tiny", "width": 48}
    assert resolved.generated_files == (folder / "tiny_net.py",)
    assert "tiny_net" in entries(configs, "model")
    digest = resolved.sha256
    (folder / "tiny_net.py").write_text("# changed code\n")
    assert compose("digits", ["model=tiny_net", OFF], configs).sha256 != digest  # code is in the digest
    (folder / "tiny_net.py").unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        compose("digits", ["model=tiny_net", OFF], configs)
    (folder / "tiny_net.py").symlink_to(configs / "models" / "mlp.yaml")
    with pytest.raises(ConfigError, match="not a regular file"):
        compose("digits", ["model=tiny_net", OFF], configs)


def test_monitor_default_entry_is_used_when_present(configs: Path) -> None:
    monitor = configs / "monitor"
    shutil.rmtree(monitor, ignore_errors=True)
    monitor.mkdir()
    assert compose("digits", [], configs).config["monitor"] == {"enabled": False}
    (monitor / "default.yaml").write_text("enabled: true\n")
    assert compose("digits", [], configs).config["monitor"]["enabled"] is True
    assert compose("digits", [OFF], configs).config["monitor"]["enabled"] is False


def test_parse_override_kinds() -> None:
    assert parse_override("model=cnn1d").kind == "group"
    set_value = parse_override("trainer.lr=1e-3")
    assert (set_value.kind, set_value.key, set_value.value, set_value.section) == (
        "set",
        "trainer.lr",
        1e-3,
        "trainer",
    )
    assert parse_override("monitor.enabled=false").value is False
