"""The condition space: strict parser, deterministic sampler, a split fixed by hash."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.agent.configs.compose import compose
from sentinel.agent.monitoring.bench.sampling import sample_space, suite_yaml
from sentinel.agent.monitoring.bench.space import SPLITS, SpaceError, load_space, parse_space, split_of
from sentinel.agent.monitoring.bench.suite import parse_suite
from sentinel.contract.params import check_faults
from sentinel.sandbox.paths import CONFIGS_DIR

SPACE_FILE = Path(__file__).resolve().parents[5] / "configs" / "monitor" / "space.yaml"
SPACE = load_space(SPACE_FILE)
RAW = yaml.safe_load(SPACE_FILE.read_text())


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 10_000), split=st.sampled_from(SPLITS))
def test_a_sample_is_deterministic_well_formed_and_inside_its_half(n, seed, split):
    suite = sample_space(SPACE, n, split, seed, seeds=2)
    assert suite == sample_space(SPACE, n, split, seed, seeds=2)
    assert len(suite.conditions) == n
    clean = {c.name: c for c in suite.conditions if c.clean}
    last = int(0.9 * SPACE.steps)
    for c in suite.conditions:
        assert c.seeds == (0, 1)
        assert c.clean or c.baseline in clean
        if not c.clean:
            assert clean[c.baseline].experiment == c.experiment
        for fault in c.faults:
            assert 1 <= fault["at_step"] <= last  # step 1 .. the last 10% of the run
        assert list(c.faults) == check_faults(list(c.faults))  # the runtime accepts every fault
        if c.faults:
            assert c.fault_step == min(f["at_step"] for f in c.faults)
        elif not c.clean:
            assert c.fault_step == 1  # a bad starting LR
        compose(c.experiment, list(c.run_overrides(0, True)), CONFIGS_DIR)  # every run composes
    reparsed = parse_suite(yaml.safe_load(suite_yaml(suite)))  # the written suite reruns the same
    assert reparsed.conditions == suite.conditions


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_the_halves_never_share_a_setup(seed):
    tune = sample_space(SPACE, 30, "tune", seed)
    holdout = sample_space(SPACE, 30, "holdout", seed)
    setups = lambda s: {(c.experiment, c.overrides) for c in s.conditions if c.clean}  # noqa: E731
    assert not setups(tune) & setups(holdout)


def test_the_split_is_a_fixed_hash_and_about_half():
    import random

    from sentinel.agent.monitoring.bench.sampling import _draw_setup

    rng = random.Random(0)
    setups = [_draw_setup(SPACE, rng) for _ in range(400)]
    halves = [split_of(s) for s in setups]
    assert 0.4 < halves.count("holdout") / len(halves) < 0.6
    assert halves == [split_of(s) for s in setups]  # no state, no clock: the same every time


def test_different_seeds_draw_different_samples():
    assert sample_space(SPACE, 12, "tune", 0) != sample_space(SPACE, 12, "tune", 1)


def test_the_space_covers_the_issue_axes():
    assert set(SPACE.optimizers) == {"adamw", "sgd", "sgd_plain"}
    assert SPACE.optimizers["sgd"]["momentum"] == (0.0, 0.99)
    assert set(SPACE.schedules) == {"constant", "cosine", "step", "warmup"}
    assert set(SPACE.faults) == {"lr_spike", "grad_explosion", "nan_loss", "bad_batch"}
    assert SPACE.max_faults >= 2 and set(SPACE.starts) == {"high_lr", "low_lr"}


def _broken(path: str, value):
    raw = copy.deepcopy(RAW)
    *parents, key = path.split(".")
    node = raw
    for p in parents:
        node = node[p]
    if value is None:
        del node[key]
    else:
        node[key] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("colour", "red", "unknown key"),
        ("optimizers.lion", {"lr": 1e-3}, "lion"),
        ("optimizers.sgd.momentum", [0.0, 1.0], "below 1"),
        ("schedules.cosine", {"warmup_steps": [1, 2]}, "unknown key"),
        ("faults.bad_batch", {"scale": [5.0, 2.0e6], "duration": [1, 3]}, "above the maximum"),
        ("faults.grad_explosion", {"factor": [10.0, 100.0]}, "duration"),
        ("starts.high_lr", [0.5, 2.0], "above 1"),
        ("mix.meteor", 1.0, "meteor"),
        ("steps", 5, "steps"),
        ("batch_sizes", [], "batch_sizes"),
        ("experiments", None, "experiments"),
    ],
)
def test_a_bad_space_is_refused_with_the_field_named(path, value, needle):
    with pytest.raises(SpaceError, match=needle):
        parse_space(_broken(path, value))


def test_bad_sampling_arguments_are_refused():
    with pytest.raises(SpaceError, match="split"):
        sample_space(SPACE, 10, "train", 0)
    with pytest.raises(SpaceError, match="sample"):
        sample_space(SPACE, 1, "tune", 0)
