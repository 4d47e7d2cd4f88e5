from sentinel.contract.vocabulary import OUTCOMES
from sentinel.monitor.actions import ACTIONS
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import DETECTORS
from sentinel.monitor.policy import RUNGS, SHORTCUTS
from sentinel.monitor.spec import render_spec


def test_spec_names_every_definition_the_monitor_runs():
    text = render_spec()
    for name in [d.name for d in DETECTORS] + list(ACTIONS) + list(RUNGS) + list(OUTCOMES):
        assert f"`{name}`" in text, name
    for shortcut in SHORTCUTS:
        assert f"`{shortcut.name}`" in text


def test_spec_follows_the_configuration():
    text = render_spec(MonitorConfig.from_params({"cooldown_steps": 77, "spike_z": 9.5}))
    assert "cooldown (77 steps" in text
    assert "z=9.5" in text


def test_spec_tables_are_well_formed_markdown():
    for line in render_spec().splitlines():
        if line.startswith("|"):
            cells = line.replace("\\|", "").count("|")
            assert cells >= 3, line
