"""The one parameter rule, and that the runtime, the validator and goal files all apply it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.contract.params import (
    ConfigInvalid,
    check_fault,
    check_param,
    check_params,
    param_problems,
)
from sentinel.contract.registry import TARGETS, Param

LR = TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["lr"]  # float, 1e-8..10
EPOCHS = TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["epochs"]  # int, 1..1000
CLIP = TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["grad_clip"]  # nullable float
OPT = TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["optimizer"]  # str choices
DETERMINISTIC = TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["deterministic"]


def test_an_int_is_a_fine_float_and_is_widened() -> None:
    value = check_param("trainer.lr", 1, LR)
    assert value == 1.0 and type(value) is float


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_never_a_number(value: bool) -> None:
    for param in (LR, EPOCHS):
        with pytest.raises(ConfigInvalid, match="got " + str(value)):
            check_param("x", value, param)


def test_a_float_is_never_an_int_even_a_whole_one() -> None:
    with pytest.raises(ConfigInvalid, match=r"x must be an integer, got 32\.0"):
        check_param("x", 32.0, EPOCHS)


@pytest.mark.parametrize(
    ("param", "value", "problem"),
    [
        (LR, 0.0, "below the minimum 1e-08"),
        (LR, 10.5, "above the maximum 10.0"),
        (EPOCHS, 0, "below the minimum 1"),
        (LR, float("nan"), "must be finite"),
        (LR, "1e-3", "write 1.0e-3"),
        (LR, None, "may not be null"),
        (OPT, "adam", "'adam' is not one of adamw, sgd"),
        (OPT, 3, "must be a string"),
        (DETERMINISTIC, 1, "must be true or false"),
    ],
)
def test_bad_values_name_the_path_and_the_value(param: Param, value: object, problem: str) -> None:
    with pytest.raises(ConfigInvalid, match=re.escape(problem)) as err:
        check_param("trainer.p", value, param)
    assert str(err.value).startswith("trainer.p") and "\n" not in str(err.value)


@given(st.floats(min_value=1e-8, max_value=10.0) | st.integers(min_value=1, max_value=10))
def test_bounds_are_inclusive_and_values_inside_pass(value: float) -> None:
    assert check_param("lr", value, LR) == float(value)


def test_null_passes_only_where_the_registry_says_nullable() -> None:
    assert check_param("trainer.grad_clip", None, CLIP) is None


def test_long_values_are_cut_so_the_error_stays_one_short_line() -> None:
    with pytest.raises(ConfigInvalid) as err:
        check_param("trainer.optimizer", "x" * 10_000, OPT)
    assert len(str(err.value)) < 200


def test_unknown_keys_are_refused_and_defaults_filled() -> None:
    spec = {"a": Param("int", 3, 0, 9), "b": Param("float", 0.5, 0.0, 1.0)}
    assert check_params("s", {"b": 1}, spec) == {"a": 3, "b": 1.0}
    with pytest.raises(ConfigInvalid, match=r"unknown key s\.c \(known: a, b\)"):
        check_params("s", {"c": 1}, spec)
    with pytest.raises(ConfigInvalid, match=r"missing required key s\.r"):
        check_params("s", {}, {"r": Param("int")})


def test_faults_follow_the_same_rules() -> None:
    assert check_fault("f", {"kind": "lr_spike", "at_step": 5, "factor": 2}) == {
        "kind": "lr_spike",
        "at_step": 5,
        "factor": 2.0,
    }
    with pytest.raises(ConfigInvalid, match="at_step must be an integer, got True"):
        check_fault("f", {"kind": "nan_loss", "at_step": True})


def test_problems_collects_one_reason_per_value_and_per_fault() -> None:
    assert param_problems("lr", 1, LR) == []
    reasons = param_problems("faults", [{"kind": "rm"}, {"kind": "nan_loss"}], Param("faults", ()))
    assert len(reasons) == 2 and "not one of" in reasons[0] and "at_step" in reasons[1]


def test_the_runtime_the_validator_and_goals_share_the_rule(tmp_path) -> None:
    """`lr: 1` passes all three; `epochs: true` fails all three."""
    from sentinel.agent.errors import BadInput
    from sentinel.agent.goals import parse_goal
    from sentinel.contract.config import validate_config
    from sentinel.validator import ConfigRejected, validate_config_variant

    base = {
        "experiment": {"name": "t"},
        "dataset": {"_target_": "sentinel.sandbox.runtime.datasets.ArrayDataset", "name": "digits"},
        "model": {"_target_": "sentinel.sandbox.runtime.models.mlp.MLP"},
        "trainer": {"_target_": "sentinel.sandbox.runtime.trainer.Trainer"},
    }
    trainer = {"_target_": "sentinel.sandbox.runtime.trainer.Trainer", "lr": 0.001}
    goal = {
        "name": "g",
        "experiment": "digits_mlp",
        "metric": {"name": "val/acc", "mode": "max"},
        "budget": {"runs": 1, "wall_minutes": 1},
    }
    assert validate_config({**base, "trainer": {**base["trainer"], "lr": 1}})["trainer"]["lr"] == 1.0
    assert validate_config_variant(f"_target_: {trainer['_target_']}\nlr: 1\n", trainer)
    assert parse_goal({**goal, "start": {"trainer.lr": 1}}).start == (("trainer.lr", 1.0),)
    with pytest.raises(ConfigInvalid, match="epochs must be an integer, got True"):
        validate_config({**base, "trainer": {**base["trainer"], "epochs": True}})
    with pytest.raises(ConfigRejected, match="epochs must be an integer, got True"):
        validate_config_variant(f"_target_: {trainer['_target_']}\nepochs: true\n", trainer)
    with pytest.raises(BadInput, match=r"start\.trainer\.epochs: must be an integer, got True"):  # goal line
        parse_goal({**goal, "start": {"trainer.epochs": True}})
