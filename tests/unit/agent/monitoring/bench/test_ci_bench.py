"""The short bench CI runs: real training subprocesses through the host executor, one seed.

Asserts what the issue asks of CI: a divergent run is rescued (its shadow twin is not) and a
clean run is left untouched. Uses the digits dataset, which prepares in a second."""

import pytest
from _support import CI_BENCH_CONDITIONS

from sentinel.agent.monitoring.bench import HostSubprocessExecutor, RunRequest, parse_suite, run_suite

pytestmark = pytest.mark.slow

SUITE = {"name": "ci", "conditions": CI_BENCH_CONDITIONS}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from sentinel.sandbox.data import prepare_all

    folder = tmp_path_factory.mktemp("data")
    prepare_all(folder, names=["digits"])
    return folder


@pytest.fixture(scope="module")
def result(data_dir, tmp_path_factory):
    with HostSubprocessExecutor(_compose, data_dir, timeout_s=300) as executor:
        return run_suite(parse_suite(SUITE), executor, tmp_path_factory.mktemp("bench"), jobs=2)


def _compose(experiment, overrides):
    from sentinel.agent.configs.compose import compose
    from sentinel.sandbox.paths import CONFIGS_DIR

    return compose(experiment, overrides, CONFIGS_DIR).config


def test_clean_run_is_left_alone(result):
    clean = next(p for p in result.pairs if p.condition.name == "clean_digits")
    assert clean.monitored.status == "completed" and not clean.detected
    assert clean.monitored.final_loss == pytest.approx(clean.shadow.final_loss, rel=1e-6)


def test_divergent_run_is_rescued(result):
    pair = next(p for p in result.pairs if p.condition.name == "lr_spike_digits")
    assert pair.shadow.final_loss > 2 * pair.clean_median  # the fault really wrecks the shadow twin
    assert pair.verdict == "resolved"
    assert 0 <= pair.latency <= 10


def test_a_preloaded_parent_gives_the_same_run_as_a_fresh_interpreter(data_dir, tmp_path):
    """Forking runs from a parent that imported torch once changes nothing a run decides: the
    same events, metrics and losses, byte for byte, as `python -m sentinel.sandbox.runtime`; a
    run past its timeout is killed and is an error, and the next run gets a working parent."""
    faults = [
        {"kind": "grad_explosion", "at_step": 5, "factor": 500.0, "duration": 3},
        {"kind": "lr_spike", "at_step": 60, "factor": 50.0},
    ]
    suite = parse_suite(
        {
            "name": "same",
            "conditions": [
                {"name": "clean", "experiment": "digits", "overrides": ["trainer=constant"]},
                {
                    "name": "faulty",
                    "experiment": "digits",
                    "overrides": ["trainer=constant", "trainer.max_steps=150"],
                    "faults": faults,
                    "baseline": "clean",
                },
            ],
        }
    )
    condition = suite.conditions[1]
    request = lambda out: RunRequest(  # noqa: E731
        "faulty", "digits", tuple(condition.run_overrides(0, True)), 0, True, out
    )
    files = {}
    for preload in (True, False):
        out = tmp_path / ("preloaded" if preload else "fresh")
        with HostSubprocessExecutor(_compose, data_dir, timeout_s=300, preload=preload) as executor:
            outcome = executor.run(request(out))
        assert outcome.status == "completed" and outcome.events
        files[preload] = [
            (out / "artifacts" / n).read_bytes() for n in ("metrics.jsonl", "monitor_events.jsonl")
        ]
    assert files[True] == files[False]
    with HostSubprocessExecutor(_compose, data_dir, timeout_s=0.01) as executor:
        assert executor.run(request(tmp_path / "late")).status == "error"
        executor.timeout_s = 300
        assert executor.run(request(tmp_path / "next")).status == "completed"
