from pathlib import Path

import pytest
import yaml

from sentinel.monitor.config import MonitorConfig

DEFAULT_YAML = Path(__file__).resolve().parents[3] / "configs" / "monitor" / "default.yaml"


def test_default_yaml_equals_code_defaults():
    """The YAML documents the defaults; the dataclass is the source of truth. They must agree."""
    data = yaml.safe_load(DEFAULT_YAML.read_text())
    assert data == MonitorConfig().as_dict()


def test_default_yaml_gives_a_reason_for_every_key():
    lines = [ln for ln in DEFAULT_YAML.read_text().splitlines() if ln and not ln.startswith((" ", "#"))]
    assert lines and all("#" in ln for ln in lines), [ln for ln in lines if "#" not in ln]


def test_unknown_key_is_rejected_by_name():
    with pytest.raises(ValueError, match="'spike_zz'"):
        MonitorConfig.from_params({"spike_zz": 3})


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"enabled": "yes"}, "enabled"),
        ({"window": 2.5}, "integer"),
        ({"spike_z": "8"}, "number"),
        ({"spike_z": True}, "number"),
        ({"spike_z": -1.0}, "spike_z"),
        ({"lr_cut_factor": 1.5}, "lr_cut_factor"),
        ({"window": 16}, "window"),
    ],
)
def test_bad_values_are_rejected(params, match):
    with pytest.raises(ValueError, match=match):
        MonitorConfig.from_params(params)


def test_yaml_ints_are_accepted_where_floats_are_meant():
    cfg = MonitorConfig.from_params({"spike_z": 9, "window": 512.0, "enabled": False})
    assert cfg.spike_z == 9.0 and isinstance(cfg.spike_z, float)
    assert cfg.window == 512 and isinstance(cfg.window, int)
    assert cfg.enabled is False


def test_none_gives_defaults_and_non_mapping_is_rejected():
    assert MonitorConfig.from_params(None) == MonitorConfig()
    with pytest.raises(ValueError, match="mapping"):
        MonitorConfig.from_params(["enabled"])  # type: ignore[arg-type]
