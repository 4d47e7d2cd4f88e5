"""Campaign goals: the shipped files load, every malformed goal is one BadInput line naming the
file and the field, and no YAML at all can make the parser raise anything else."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel.agent.errors import BadInput
from sentinel.agent.goals import (
    CAMPAIGNS_DIR,
    CampaignGoal,
    Choices,
    Range,
    check_goal_configs,
    goal_from_yaml,
    list_goals,
    load_goal,
    parse_goal,
)
from sentinel.sandbox.paths import CONFIGS_DIR

SHIPPED = {
    "ppg:hr_optimize": ("ppg_hr", "val/mae", "min"),
    "ecg:rhythm_baseline": ("ecg_rhythm", "val/f1", "max"),
    "digits:quick": ("digits", "val/acc", "max"),
    "vae:stability": ("vae", "val/recon", "min"),
}

VALID = {
    "name": "g1",
    "experiment": "ppg_hr",
    "metric": {"name": "val/mae", "mode": "min"},
    "budget": {"runs": 4, "wall_minutes": 10},
    "target": 4.0,
    "search_space": {
        "trainer.lr": {"low": 1.0e-4, "high": 1.0e-1, "log": True},
        "trainer.batch_size": [32, 64],
        "model.depth": {"low": 1, "high": 4},
        "model": ["mlp", "cnn1d"],
    },
    "start": {"trainer.lr": 0.08},
    "max_tier": 2,
    "sandbox": {"isolation": "gvisor", "timeout_s": 300, "cpus": 2, "memory": "1g"},
    "description": "a test goal",
}


def write_goal(root: Path, data: object, group: str = "grp", name: str = "g1") -> Path:
    path = root / group / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def with_change(path: tuple[str, ...], value: object) -> dict:
    """VALID with one nested key replaced (or removed when value is DELETE)."""
    data = yaml.safe_load(yaml.safe_dump(VALID))
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


DELETE = object()


@pytest.mark.parametrize("address", sorted(SHIPPED))
def test_shipped_goals_load(address: str) -> None:
    goal = load_goal(address)
    experiment, metric, mode = SHIPPED[address]
    assert (goal.address, goal.experiment, goal.metric.name, goal.metric.mode) == (
        address,
        experiment,
        metric,
        mode,
    )
    assert goal.description and goal.search_space
    assert 1 <= goal.max_tier <= 3
    assert parse_goal(goal.to_dict(), "snapshot", goal.address) == goal  # the store's snapshot round-trips


def test_demo_goal_is_small() -> None:
    goal = load_goal("digits:quick")
    assert 4 <= goal.budget.runs <= 6
    assert goal.budget.wall_minutes <= 15


def test_vae_goal_starts_above_its_search_range() -> None:
    """The first run is the monitor's test (1.5 diverges unmonitored); the search stays sane."""
    goal = load_goal("vae:stability")
    start = dict(goal.start)
    lr = dict(goal.search_space)["trainer.lr"]
    assert isinstance(lr, Range) and start["trainer.lr"] >= 1.0 > lr.high


def test_shipped_goals_name_existing_configs() -> None:
    """Once the configs land (another engineer's part), every goal must point at real files."""
    if not any((CONFIGS_DIR / "experiments").glob("*.yaml")):
        pytest.skip(f"no experiment configs in {CONFIGS_DIR / 'experiments'} yet")
    for address in SHIPPED:
        check_goal_configs(load_goal(address))


@pytest.mark.parametrize("address", sorted(SHIPPED))
def test_shipped_search_spaces_compose_into_valid_run_configs(address: str) -> None:
    """Every model choice with the start overrides and each end of each range is a config the
    registry accepts, so no campaign spends a run on a bad search point."""
    from sentinel.agent.configs.compose import compose

    goal = load_goal(address)
    text = lambda v: repr(v) if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)  # noqa: E731
    points = [[f"{k}={text(v)}" for k, v in goal.start]]
    for key, dim in goal.search_space:
        ends = [dim.low, dim.high] if isinstance(dim, Range) else list(dim.values)
        points += [[f"{key}={text(int(v) if isinstance(dim, Range) and dim.integer else v)}"] for v in ends]
    models = dict(goal.search_space).get("model")
    for model in models.values if isinstance(models, Choices) else [None]:
        for point in points:
            overrides = sorted(
                {*point, *([f"model={model}"] if model else [])}, key=lambda o: "." in o.split("=")[0]
            )
            compose(goal.experiment, overrides, CONFIGS_DIR)


def test_list_goals_shows_every_shipped_goal_with_its_description() -> None:
    listed = dict(list_goals())
    assert set(SHIPPED) <= set(listed)
    assert all(listed[a] and "invalid" not in listed[a] for a in SHIPPED)
    assert CAMPAIGNS_DIR.is_dir()


def test_list_goals_reports_a_broken_file_instead_of_failing(tmp_path: Path) -> None:
    write_goal(tmp_path, VALID)
    write_goal(tmp_path, "name: [", name="broken")
    rows = dict(list_goals(tmp_path))
    assert rows["grp:g1"] == "a test goal"
    assert rows["grp:broken"].startswith("invalid goal:")
    assert list_goals(tmp_path / "missing") == []


def test_valid_goal_parses_into_typed_fields(tmp_path: Path) -> None:
    goal = load_goal("grp:g1", campaigns_dir=tmp_path) if write_goal(tmp_path, VALID) else None
    assert isinstance(goal, CampaignGoal)
    space = dict(goal.search_space)
    assert space["trainer.lr"] == Range(1e-4, 1e-1, log=True, integer=False)
    assert space["model.depth"] == Range(1, 4, log=False, integer=True)
    assert space["trainer.batch_size"] == Choices((32, 64))
    assert space["model"] == Choices(("mlp", "cnn1d"))
    assert goal.start == (("trainer.lr", 0.08),)
    assert (goal.sandbox.isolation, goal.sandbox.timeout_s, goal.sandbox.memory) == ("gvisor", 300.0, "1g")
    assert goal.reached(3.9) and goal.reached(4.0) and not goal.reached(4.1)
    assert goal.with_budget(9).budget.runs == 9
    assert parse_goal(goal.to_dict(), "x", goal.address) == goal


def test_goal_by_path_uses_the_path_as_address(tmp_path: Path) -> None:
    path = write_goal(tmp_path, VALID)
    goal = load_goal(path)
    assert goal.address == str(path)


def test_defaults_for_optional_fields() -> None:
    minimal = {k: VALID[k] for k in ("name", "experiment", "metric", "budget")}
    goal = parse_goal(minimal)
    assert (goal.target, goal.search_space, goal.start, goal.max_tier, goal.description) == (
        None,
        (),
        (),
        1,
        "",
    )
    assert goal.sandbox.isolation == "runc"


def test_max_mode_target() -> None:
    data = with_change(("metric",), {"name": "val/acc", "mode": "max"})
    goal = parse_goal({**data, "target": 0.9})
    assert goal.reached(0.95) and not goal.reached(0.5)
    assert goal.metric.better(0.9, 0.8)


BAD = [
    # (change path, value, field named in the message, words expected)
    (("name",), "Bad Name", "name", "lowercase"),
    (("name",), DELETE, "name", "required"),
    (("experiment",), 3, "experiment", "experiment name"),
    (("metric",), "val/mae", "metric", "mapping"),
    (("metric", "mode"), "minimize", "metric.mode", "min or max"),
    (("metric", "mode"), DELETE, "metric.mode", "required"),
    (("metric", "name"), "mae", "metric.name", "summary key"),
    (("metric", "name"), "val/acc", "metric.mode", "max"),
    (("metric", "unit"), "bpm", "metric.unit", "unknown key"),
    (("budget", "runs"), 0, "budget.runs", "1..10000"),
    (("budget", "runs"), 2.5, "budget.runs", "integer"),
    (("budget", "runs"), True, "budget.runs", "integer"),
    (("budget", "wall_minutes"), -1, "budget.wall_minutes", "must be in"),
    (("budget", "wall_minutes"), "1h", "budget.wall_minutes", "number"),
    (("target",), "low", "target", "number"),
    (("target",), float("inf"), "target", "finite"),
    (("search_space",), ["trainer.lr"], "search_space", "mapping"),
    (("search_space", "trainer.lr", "low"), 0.5, "search_space.trainer.lr", "low must be below high"),
    (("search_space", "trainer.lr", "high"), 1e-4, "search_space.trainer.lr", "low must be below high"),
    (("search_space", "trainer.lr", "low"), "1e-4", "search_space.trainer.lr.low", "write 1.0e-3"),
    (("search_space", "trainer.lr", "high"), 100.0, "search_space.trainer.lr.high", "above the maximum"),
    (("search_space", "trainer.lr", "log"), "yes", "search_space.trainer.lr.log", "true or false"),
    (("search_space", "trainer.lr", "step"), 2, "search_space.trainer.lr.step", "unknown key"),
    (("search_space", "trainer.lr", "high"), DELETE, "search_space.trainer.lr.high", "required"),
    (
        ("search_space", "trainer.weight_decay"),
        {"low": 0.0, "high": 0.1, "log": True},
        "trainer.weight_decay.low",
        "log range",
    ),
    (("search_space", "trainer.max_steps"), {"low": None, "high": 9}, "trainer.max_steps.low", "not be null"),
    (("search_space", "trainer.lrate"), [0.1], "search_space.trainer.lrate", "no tunable parameter"),
    (("search_space", "optimizer.lr"), [0.1], "search_space.optimizer.lr", "unknown key"),
    (("search_space", "trainer.faults"), [1], "search_space.trainer.faults", "no tunable parameter"),
    (("search_space", "trainer.batch_size"), [32, 32], "search_space.trainer.batch_size", "twice"),
    (("search_space", "trainer.batch_size"), [], "search_space.trainer.batch_size", "choices"),
    (("search_space", "trainer.batch_size"), [32.5], "search_space.trainer.batch_size[0]", "integer"),
    (("search_space", "trainer.batch_size"), 64, "search_space.trainer.batch_size", "list of choices"),
    (("search_space", "trainer.optimizer"), ["adamw", "lion"], "trainer.optimizer[1]", "one of"),
    (
        ("search_space", "trainer.optimizer"),
        {"low": 0, "high": 1},
        "search_space.trainer.optimizer",
        "not numeric",
    ),
    (("search_space", "model"), ["mlp", "../etc"], "search_space.model[1]", "config name"),
    (("search_space", "model"), {"low": 1, "high": 2}, "search_space.model", "not numeric"),
    (("start",), ["trainer.lr=0.1"], "start", "mapping"),
    (("start", "trainer.lr"), "fast", "start.trainer.lr", "number"),
    (("start", "trainer.lr"), 50.0, "start.trainer.lr", "above the maximum"),
    (("max_tier",), 4, "max_tier", "1..3"),
    (("max_tier",), 0, "max_tier", "1..3"),
    (("sandbox", "isolation"), "kata", "sandbox.isolation", "runc or gvisor"),
    (("sandbox", "timeout_s"), 0, "sandbox.timeout_s", "must be in"),
    (("sandbox", "cpus"), 1000, "sandbox.cpus", "must be in"),
    (("sandbox", "memory"), 2048, "sandbox.memory", "512m or 2g"),
    (("sandbox", "network"), True, "sandbox.network", "unknown key"),
    (("description",), ["x"], "description", "string"),
    (("description",), "bell\x07", "description", "control characters"),
    (("colour",), "red", "colour", "unknown key"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "words"), BAD, ids=[f"{'.'.join(b[0])}={b[1]!r:.20}" for b in BAD]
)
def test_malformed_goal_is_one_badinput_line_naming_file_and_field(
    tmp_path: Path, path: tuple[str, ...], value: object, field: str, words: str
) -> None:
    goal_file = write_goal(tmp_path, with_change(path, value))
    with pytest.raises(BadInput) as err:
        load_goal("grp:g1", campaigns_dir=tmp_path)
    message = str(err.value)
    assert err.value.exit_code == 2
    assert message.startswith(f"{goal_file}: ")
    assert field in message and words in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        ("when: 2001-02-30\n", "not valid YAML"),
        ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("? [a, b]\n: 1\n", "line 1: found unhashable key"),
        ("[" * 5000 + "]" * 5000, "not valid YAML"),
    ],
)
def test_yaml_level_problems_are_badinput(tmp_path: Path, text: str, words: str) -> None:
    write_goal(tmp_path, text)
    with pytest.raises(BadInput, match=words):
        load_goal("grp:g1", campaigns_dir=tmp_path)


def test_name_must_match_the_file(tmp_path: Path) -> None:
    write_goal(tmp_path, {**VALID, "name": "other"})
    with pytest.raises(BadInput, match="name: 'other' does not match the file name 'g1'"):
        load_goal("grp:g1", campaigns_dir=tmp_path)


def test_file_level_problems(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no file"):
        load_goal("grp:missing", campaigns_dir=tmp_path)
    with pytest.raises(BadInput, match="neither group:name nor a path"):
        load_goal("not a goal", campaigns_dir=tmp_path)
    (tmp_path / "grp").mkdir()
    (tmp_path / "grp" / "big.yaml").write_text("description: " + "x" * 70_000)
    with pytest.raises(BadInput, match="larger than"):
        load_goal("grp:big", campaigns_dir=tmp_path)
    (tmp_path / "grp" / "bin.yaml").write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(BadInput, match="UTF-8"):
        load_goal("grp:bin", campaigns_dir=tmp_path)
    (tmp_path / "grp" / "dir.yaml").mkdir()
    with pytest.raises(BadInput, match="no file"):
        load_goal("grp:dir", campaigns_dir=tmp_path)


def test_check_goal_configs_names_the_missing_file(tmp_path: Path) -> None:
    goal = parse_goal(VALID)
    with pytest.raises(BadInput, match="experiment: no config"):
        check_goal_configs(goal, tmp_path)
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "ppg_hr.yaml").write_text("{}")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "mlp.yaml").write_text("{}")
    with pytest.raises(BadInput, match=r"model: no config .*cnn1d\.yaml"):
        check_goal_configs(goal, tmp_path)
    (tmp_path / "models" / "cnn1d.yaml").write_text("{}")
    check_goal_configs(goal, tmp_path)


def test_with_budget_rejects_nonsense() -> None:
    goal = parse_goal(VALID)
    for bad in (0, -1, 10_001, 2.0, True):
        with pytest.raises(BadInput):
            goal.with_budget(bad)  # type: ignore[arg-type]


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["val/mae", "min", "max", "trainer.lr", "model", "runc", "2g"]),
)
yaml_keys = st.one_of(
    st.sampled_from(
        [
            *VALID,
            "low",
            "high",
            "log",
            "name",
            "mode",
            "runs",
            "wall_minutes",
            "trainer.lr",
            "model",
            "isolation",
        ]
    ),
    st.text(max_size=12),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(yaml_keys, children, max_size=6)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_parser_never_raises_anything_but_badinput_on_arbitrary_data(data: object) -> None:
    try:
        goal_from_yaml(yaml.safe_dump(data), "fuzz.yaml")
    except BadInput as err:
        assert str(err).startswith("fuzz.yaml: ")
        assert "\n" not in str(err)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises_anything_but_badinput_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(BadInput):
        goal_from_yaml(text, "fuzz.yaml")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(yaml_keys, yaml_values, max_size=8).map(lambda extra: {**VALID, **extra}))
def test_parser_never_raises_anything_but_badinput_near_valid_goals(data: dict) -> None:
    try:
        goal = goal_from_yaml(yaml.safe_dump(data), "fuzz.yaml")
    except BadInput:
        return
    assert parse_goal(goal.to_dict(), "again", goal.address) == goal
