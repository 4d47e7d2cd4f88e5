from pathlib import Path

import pytest

from sentinel.agent.monitoring.bench import SuiteError, load_suite, parse_suite

DEFAULT = Path(__file__).resolve().parents[5] / "configs" / "monitor" / "bench_default.yaml"


def test_default_suite_covers_the_issue_list():
    suite = load_suite(DEFAULT)
    clean = [c for c in suite.conditions if c.clean]
    assert len(clean) >= 3 and len({c.experiment for c in clean}) >= 2
    assert sum(len(c.seeds) for c in clean) >= 10
    names = {c.name for c in suite.conditions}
    for needed in (
        "high_lr_0_03",
        "high_lr_0_08",
        "grad_explosion",
        "nan_loss",
        "bad_batch",
        "lr_spike",
        "low_lr_1e_5",
        "low_lr_1e_6",
        "oscillation",
    ):
        assert needed in names
    assert all(c.fault_step for c in suite.conditions if not c.clean)


def test_extended_suite_parses():
    suite = load_suite(DEFAULT.with_name("bench_extended.yaml"))
    assert len({c.experiment for c in suite.conditions}) >= 4
    assert all(c.fault_step for c in suite.conditions if not c.clean)


def _suite(**condition):
    base = {"name": "clean", "experiment": "digits", "overrides": ["trainer=constant"], "seeds": [0]}
    return {"conditions": [base, {"experiment": "digits", "baseline": "clean", **condition}]}


def test_fault_step_defaults_to_the_first_fault():
    suite = parse_suite(
        _suite(
            name="f",
            faults=[{"kind": "nan_loss", "at_step": 40}, {"kind": "lr_spike", "at_step": 30, "factor": 10}],
        )
    )
    assert suite.conditions[1].fault_step == 30
    assert suite.conditions[1].faults[1] == {"kind": "lr_spike", "at_step": 30, "factor": 10.0}


def test_run_overrides_carry_seed_faults_and_monitor():
    suite = parse_suite(_suite(name="f", faults=[{"kind": "nan_loss", "at_step": 40}]))
    overrides = suite.conditions[1].run_overrides(seed=3, monitored=False)
    assert overrides[-3:] == [
        "trainer.faults=[{at_step: 40, kind: nan_loss}]",
        "experiment.seed=3",
        "monitor.enabled=false",
    ]


@pytest.mark.parametrize(
    ("condition", "match"),
    [
        ({"name": "f", "faults": [{"kind": "meteor", "at_step": 3}]}, "kind"),
        ({"name": "f", "faults": [{"kind": "nan_loss", "at_step": 3, "scale": 2}]}, "unknown key"),
        ({"name": "f", "faults": [{"kind": "nan_loss", "at_step": -3}]}, "below the minimum"),
        ({"name": "f", "faults": [{"kind": "bad_batch", "at_step": 3, "scale": 2e6}]}, "above the maximum"),
        ({"name": "f"}, "fault_step"),
        ({"name": "f", "fault_step": 1, "baseline": "nope"}, "baseline"),
        ({"name": "f", "fault_step": 1, "colour": "red"}, "unknown key 'colour'"),
        ({"name": "f", "fault_step": 1, "overrides": ["experiment.seed=3"]}, "own keys"),
        ({"name": "f", "fault_step": 1, "seeds": [-1]}, "seeds"),
        ({"name": "Bad Name", "fault_step": 1}, "name"),
        ({"name": "clean", "fault_step": 1}, "unique"),
    ],
)
def test_malformed_conditions_are_named(condition, match):
    with pytest.raises(SuiteError, match=match):
        parse_suite(_suite(**condition))


def test_with_seeds_replaces_every_seed_list():
    suite = load_suite(DEFAULT).with_seeds(1)
    assert {c.seeds for c in suite.conditions} == {(0,)}
    with pytest.raises(SuiteError):
        suite.with_seeds(0)


def test_huge_or_broken_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("#" * 300_000)
    with pytest.raises(SuiteError, match="larger"):
        load_suite(big)
    bad = tmp_path / "bad.yaml"
    bad.write_text("conditions: [")
    with pytest.raises(SuiteError, match="YAML"):
        load_suite(bad)


def test_fault_bounds_are_the_runtimes():
    """One rule in one place: what the suite accepts, the runtime's config check accepts, and
    the reverse (a negative bad_batch.scale flips the inputs: legal in both)."""
    from sentinel.contract.params import check_faults

    fault = {"kind": "bad_batch", "at_step": 3, "scale": -5.0, "duration": 2}
    suite = parse_suite(_suite(name="f", faults=[fault]))
    assert list(suite.conditions[1].faults) == check_faults([fault])
