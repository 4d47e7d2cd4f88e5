"""The short bench CI runs: real training subprocesses through the host executor, one seed.

Asserts what the issue asks of CI: a divergent run is rescued (its shadow twin is not) and a
clean run is left untouched. Uses the digits dataset, which prepares in a second."""

import pytest
from _support import CI_BENCH_CONDITIONS

from sentinel.agent.monitoring.bench import HostSubprocessExecutor, parse_suite, run_suite

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
    from sentinel.agent.configs.compose import compose
    from sentinel.sandbox.paths import CONFIGS_DIR

    executor = HostSubprocessExecutor(lambda e, o: compose(e, o, CONFIGS_DIR).config, data_dir, timeout_s=300)
    return run_suite(parse_suite(SUITE), executor, tmp_path_factory.mktemp("bench"), jobs=2)


def test_clean_run_is_left_alone(result):
    clean = next(p for p in result.pairs if p.condition.name == "clean_digits")
    assert clean.monitored.status == "completed" and not clean.detected
    assert clean.monitored.final_loss == pytest.approx(clean.shadow.final_loss, rel=1e-6)


def test_divergent_run_is_rescued(result):
    pair = next(p for p in result.pairs if p.condition.name == "lr_spike_digits")
    assert pair.shadow.final_loss > 2 * pair.clean_median  # the fault really wrecks the shadow twin
    assert pair.verdict == "resolved"
    assert 0 <= pair.latency <= 10
