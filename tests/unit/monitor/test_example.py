"""examples/own_loop.py is documentation that runs: keep it working (and honest)."""

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "own_loop.py"


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE), run_name="example")


def test_the_example_rescues_an_lr_spike_and_writes_strict_events(example, tmp_path, capsys):
    from sentinel.contract.events import parse_event

    events = tmp_path / "monitor_events.jsonl"
    assert example["main"](["--fault", "lr_spike", "--events", str(events)]) == 0
    out = capsys.readouterr().out
    watched, unwatched = (
        float(x) for x in out.strip().splitlines()[-1].split("with the monitor ")[1].split(", without ")
    )
    assert watched < unwatched
    lines = events.read_text().splitlines()
    assert lines and parse_event(lines[0])["action"] == "lr_cut"


def test_the_example_leaves_a_clean_run_alone(example):
    assert example["train"]("none", monitored=True) == example["train"]("none", monitored=False)
