"""Campaign goals: `campaigns/<group>/<name>.yaml`, addressed as `group:name` or by a path.

A goal is user input, so it is parsed at the boundary into a frozen `CampaignGoal` and every
problem becomes one `BadInput` line naming the file and the dotted field (exit 2, nothing
written). Search-space and `start` keys are checked against the runtime registry, so a campaign
never spends its budget on a parameter the trainer would refuse. `to_dict()` gives the goal back
in its YAML shape; the FeedbackStore snapshots that, and `resume` re-parses the snapshot rather
than a file that may have changed since.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sentinel.agent.configs.bounded_yaml import YamlTooComplex, bounded_loader
from sentinel.agent.errors import BadInput
from sentinel.contract.params import ConfigInvalid, check_param
from sentinel.contract.registry import EXPERIMENT_NAME, TARGETS, Param
from sentinel.sandbox.paths import CONFIGS_DIR, PROJECT_ROOT

# fmt: off
__all__ = ["CAMPAIGNS_DIR", "CampaignGoal", "Choices", "GoalBudget", "GoalMetric", "Range", "SandboxSettings",
           "Scalar", "check_goal_configs", "goal_from_yaml", "list_goals", "load_goal", "parse_goal"]
# fmt: on

CAMPAIGNS_DIR = Path(os.environ.get("SENTINEL_CAMPAIGNS", PROJECT_ROOT / "campaigns"))
MAX_GOAL_BYTES = 64 * 1024
MAX_SEARCH_DIMS = 32
MAX_CHOICES = 32
MAX_DESCRIPTION = 2000
MAX_RUNS = 10_000
MAX_WALL_MINUTES = 7 * 24 * 60
PART = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")  # a goal group or name, also a file stem
ADDRESS = re.compile(r"^([a-z0-9][a-z0-9_-]{0,47}):([a-z0-9][a-z0-9_-]{0,47})$")
CONFIG_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,47}$")  # a config group entry, e.g. cnn1d
METRIC = re.compile(r"^(?:train|val)/([a-z][a-z0-9_]{0,23})$")  # a summary key, as the reader checks
MEMORY = re.compile(r"^[1-9][0-9]{0,5}[kmg]$")
SCI = re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$")  # YAML 1.1 reads these as strings, a common trap
# Metrics whose direction is not a matter of taste: a goal that minimises accuracy is a typo.
HIGHER_IS_BETTER = frozenset({"acc", "f1"})
LOWER_IS_BETTER = frozenset({"loss", "mae", "recon", "kl"})
CHOICE_GROUPS = ("model", "trainer", "monitor")  # `group: [a, b]` picks a config group entry
PARAM_SECTIONS = ("trainer", "model")  # `section.param` tunes one registry parameter
GROUP_FOLDERS = {"model": "models", "trainer": "trainers", "monitor": "monitor"}

Scalar = str | int | float | bool
_GOAL_LOADER = bounded_loader(yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class GoalMetric:
    """The one number a campaign optimises: a summary key ("val/mae") and its direction."""

    name: str
    mode: str  # min | max

    def better(self, a: float, b: float) -> bool:
        """True when `a` is strictly better than `b` in this metric's direction."""
        return a < b if self.mode == "min" else a > b


@dataclass(frozen=True, slots=True)
class GoalBudget:
    runs: int
    wall_minutes: float


@dataclass(frozen=True, slots=True)
class Range:
    """A numeric interval; `integer` comes from the registry (e.g. model.depth)."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def spec(self) -> dict[str, Any]:
        cast = int if self.integer else float
        return {"low": cast(self.low), "high": cast(self.high), "log": self.log}


@dataclass(frozen=True, slots=True)
class Choices:
    values: tuple[Scalar, ...]

    def spec(self) -> list[Scalar]:
        return list(self.values)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    isolation: str = "runc"
    timeout_s: float = 600.0
    cpus: float = 1.0
    memory: str = "2g"


@dataclass(frozen=True, slots=True)
class CampaignGoal:
    """A validated goal. `start` (beyond DESIGN.md's example) holds the first run's overrides."""

    address: str
    name: str
    experiment: str
    metric: GoalMetric
    budget: GoalBudget
    search_space: tuple[tuple[str, Range | Choices], ...] = ()
    start: tuple[tuple[str, Scalar], ...] = ()
    target: float | None = None
    max_tier: int = 1
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    description: str = ""
    stop_on_stagnation: bool = False  # let drift's evidenced "stop" end the campaign before its budget

    def reached(self, value: float) -> bool:
        """True when `value` meets the optional target (ties count): the loop may finish early."""
        if self.target is None or not math.isfinite(value):
            return False
        return value <= self.target if self.metric.mode == "min" else value >= self.target

    def with_budget(self, runs: int) -> CampaignGoal:
        """The same goal with another run budget (`campaign run --budget N`)."""
        if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
            raise BadInput(f"budget must be an integer in 1..{MAX_RUNS}, got {runs!r}")
        return replace(self, budget=replace(self.budget, runs=runs))

    def with_target(self, target: float | None) -> CampaignGoal:
        """The same goal with another target (`campaign run --target X`; None removes it)."""
        if target is not None:
            try:
                target = _number("--target", target)
            except _Bad as bad:
                raise BadInput(str(bad)) from None
        return replace(self, target=target)

    def to_dict(self) -> dict[str, Any]:
        """The goal in its YAML shape (plain JSON types); `parse_goal` reads it back equal."""
        data = {key: value for key, value in asdict(self).items() if key != "address"}
        data["search_space"] = {key: dim.spec() for key, dim in self.search_space}
        data["start"] = dict(self.start)
        return data


class _Bad(Exception):
    """A problem at a dotted field; parse_goal prefixes the file name and raises BadInput."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


def _show(value: object) -> str:
    return text if len(text := repr(value)) <= 60 else text[:57] + "..."


def _join(where: str, key: object) -> str:
    shown = key if isinstance(key, str) and 0 < len(key) <= 60 and key.isprintable() else _show(key)
    return f"{where}.{shown}" if where else str(shown)


# Field checkers: (where, value) -> parsed value, or raise _Bad naming `where`.
Check = Callable[[str, object], Any]
REQUIRED: Any = object()


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = " (YAML reads 1e-3 as text: write 1.0e-3)" if SCI.match(str(value)) else ""
        raise _Bad(where, f"must be a number, got {_show(value)}{hint}")
    number = float(value) if abs(value) < 1e300 else math.inf
    if not math.isfinite(number):
        raise _Bad(where, f"must be a finite number, got {_show(value)}")
    return number


def _bounded(low: float, high: float, integer: bool = False) -> Check:
    def check(where: str, value: object) -> float | int:
        if integer and (isinstance(value, bool) or not isinstance(value, int)):
            raise _Bad(where, f"must be an integer, got {_show(value)}")
        number = _number(where, value)
        if not low <= number <= high:
            raise _Bad(where, f"must be in {low}..{high}, got {_show(value)}")
        return int(value) if integer else number  # type: ignore[call-overload]

    return check


def _matching(pattern: re.Pattern[str], hint: str) -> Check:
    def check(where: str, value: object) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise _Bad(where, f"must be {hint}, got {_show(value)}")
        return value

    return check


def _bool(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(where, f"must be true or false, got {_show(value)}")
    return value


def _fields(where: str, value: object, spec: Mapping[str, tuple[Check, Any]]) -> dict[str, Any]:
    """A mapping with exactly the known keys: each checked, required ones present, defaults filled."""
    if not isinstance(value, Mapping):
        raise _Bad(where, f"{'it' if where else 'the goal'} must be a mapping, got {type(value).__name__}")
    for key in value:
        if key not in spec:
            raise _Bad(_join(where, key), f"unknown key (allowed: {', '.join(spec)})")
    out: dict[str, Any] = {}
    for key, (check, default) in spec.items():
        if key in value:
            out[key] = check(_join(where, key), value[key])
        elif default is REQUIRED:
            raise _Bad(_join(where, key), "is required")
        else:
            out[key] = default
    return out


def _metric(where: str, value: object) -> GoalMetric:
    metric = GoalMetric(**_fields(where, value, METRIC_FIELDS))
    base = METRIC.match(metric.name).group(1)  # type: ignore[union-attr]
    wrong = "min" if base in HIGHER_IS_BETTER else "max" if base in LOWER_IS_BETTER else None
    if metric.mode == wrong:
        right = "min" if wrong == "max" else "max"
        raise _Bad(f"{where}.mode", f"{metric.name} only makes sense with mode {right}")
    return metric


def _description(where: str, value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise _Bad(where, f"must be a string of at most {MAX_DESCRIPTION} characters")
    if not all(ch.isprintable() or ch in "\n\t" for ch in value):
        raise _Bad(where, "contains control characters")
    return value.strip()


def _param(where: str, key: object) -> Param | None:
    """The registry Param a dotted key names, or None for a config-group choice (`model`)."""
    if key in CHOICE_GROUPS:
        return None
    section, dot, name = key.partition(".") if isinstance(key, str) else ("", "", "")
    if not dot or section not in PARAM_SECTIONS:
        allowed = ", ".join((*CHOICE_GROUPS, *(f"{s}.<param>" for s in PARAM_SECTIONS)))
        raise _Bad(_join(where, key), f"unknown key (allowed: {allowed})")
    params = [t.params[name] for t in TARGETS.values() if t.group == section and name in t.params]
    if not params or params[0].kind not in {"int", "float", "str", "bool"}:
        raise _Bad(_join(where, key), f"{section} has no tunable parameter {_show(name)}")
    if len({(p.kind, p.low, p.high, p.choices) for p in params}) == 1:
        return params[0]
    lows = [p.low for p in params if p.low is not None]  # models differ: the union of their bounds
    highs = [p.high for p in params if p.high is not None]
    return Param(params[0].kind, low=min(lows, default=None), high=max(highs, default=None))


def _scalar(where: str, value: object, param: Param | None) -> Scalar:
    """One value for a key: a config name for a group, else a value the registry accepts."""
    if param is None:
        return _matching(CONFIG_NAME, "a config name like cnn1d")(where, value)
    try:
        return check_param(where, value, param)  # the registry's one rule (contract.params)
    except ConfigInvalid as err:
        raise _Bad("", str(err)) from None


def _dimension(where: str, spec: object, param: Param | None) -> Range | Choices:
    if isinstance(spec, list):
        if not 1 <= len(spec) <= MAX_CHOICES:
            raise _Bad(where, f"must list 1..{MAX_CHOICES} choices, got {len(spec)}")
        values = tuple(_scalar(f"{where}[{i}]", v, param) for i, v in enumerate(spec))
        if len({(type(v), v) for v in values}) != len(values):
            raise _Bad(where, "lists a choice twice")
        return Choices(values)
    if not isinstance(spec, Mapping):
        raise _Bad(where, f"must be {{low, high, log}} or a list of choices, got {_show(spec)}")
    if param is None or param.kind not in {"int", "float"}:
        raise _Bad(where, "is not numeric, so it takes a list of choices, not {low, high}")
    bound: Check = lambda w, v: _scalar(w, v, param)  # noqa: E731
    raw = _fields(where, spec, {"low": (bound, REQUIRED), "high": (bound, REQUIRED), "log": (_bool, False)})
    if raw["low"] >= raw["high"]:
        raise _Bad(where, f"low must be below high (got low={raw['low']!r}, high={raw['high']!r})")
    if raw["log"] and raw["low"] <= 0:
        raise _Bad(f"{where}.low", f"must be > 0 for a log range, got {raw['low']!r}")
    return Range(float(raw["low"]), float(raw["high"]), raw["log"], param.kind == "int")


def _keyed(where: str, value: object, parse: Callable[[str, object, Param | None], Any]) -> tuple:
    """A mapping of dotted keys (search_space, start): keys checked against the registry."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise _Bad(where, f"must be a mapping of dotted keys, got {type(value).__name__}")
    if len(value) > MAX_SEARCH_DIMS:
        raise _Bad(where, f"has {len(value)} keys; at most {MAX_SEARCH_DIMS}")
    return tuple((key, parse(_join(where, key), spec, _param(where, key))) for key, spec in value.items())


METRIC_FIELDS = {
    "name": (_matching(METRIC, "a summary key like val/mae or val/acc"), REQUIRED),
    "mode": (_matching(re.compile("^(min|max)$"), "min or max"), REQUIRED),
}
BUDGET_FIELDS = {
    "runs": (_bounded(1, MAX_RUNS, integer=True), REQUIRED),
    "wall_minutes": (_bounded(0.1, MAX_WALL_MINUTES), REQUIRED),
}
SANDBOX_FIELDS = {
    "isolation": (_matching(re.compile("^(runc|gvisor)$"), "runc or gvisor"), "runc"),
    "timeout_s": (_bounded(1, 86400), 600.0),
    "cpus": (_bounded(0.1, 64), 1.0),
    "memory": (_matching(MEMORY, "a size like 512m or 2g"), "2g"),
}
GOAL_FIELDS: dict[str, tuple[Check, Any]] = {
    "name": (_matching(PART, "lowercase letters, digits, '_' or '-'"), REQUIRED),
    "experiment": (_matching(EXPERIMENT_NAME, "an experiment name"), REQUIRED),
    "metric": (_metric, REQUIRED),
    "budget": (lambda w, v: GoalBudget(**_fields(w, v, BUDGET_FIELDS)), REQUIRED),
    "target": (lambda w, v: None if v is None else _number(w, v), None),
    "search_space": (lambda w, v: _keyed(w, v, _dimension), ()),
    "start": (lambda w, v: _keyed(w, v, _scalar), ()),
    "max_tier": (_bounded(1, 3, integer=True), 1),
    "sandbox": (lambda w, v: SandboxSettings(**_fields(w, v, SANDBOX_FIELDS)), SandboxSettings()),
    "description": (_description, ""),
    "stop_on_stagnation": (_bool, False),
}


def parse_goal(data: object, source: str = "goal", address: str = "", stem: str = "") -> CampaignGoal:
    """Validate plain data (YAML or a store snapshot) into a goal; `stem`: the name it must have."""
    try:
        raw = _fields("", data, GOAL_FIELDS)
        if stem and raw["name"] != stem:
            raise _Bad("name", f"{_show(raw['name'])} does not match the file name {_show(stem)}")
    except _Bad as bad:
        raise BadInput(f"{source}: {bad}") from None
    return CampaignGoal(address=address or raw["name"], **raw)


def goal_from_yaml(text: str, source: str = "goal", address: str = "", stem: str = "") -> CampaignGoal:
    """Parse goal YAML text; any problem at all, PyYAML's own included, is a BadInput."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_GOAL_BYTES:
        raise BadInput(f"{source}: goal file is larger than {MAX_GOAL_BYTES} bytes")
    try:
        data = yaml.load(text, Loader=_GOAL_LOADER)  # safe, alias-free, bounded (bounded_yaml)
    except YamlTooComplex as err:
        raise BadInput(f"{source}: not valid YAML here: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise BadInput(f"{source}: not valid YAML{where}: {str(problem)[:200]}") from None
    except Exception as err:  # PyYAML raises ValueError/RecursionError on some input (bad dates, depth)
        raise BadInput(f"{source}: not valid YAML ({type(err).__name__})") from None
    return parse_goal(data, source, address, stem)


def load_goal(ref: str | Path, campaigns_dir: Path = CAMPAIGNS_DIR) -> CampaignGoal:
    """Load `group:name` (under `campaigns_dir`) or a .yaml path (then the path is the address, so a
    goal outside campaigns/ works too); the goal's `name` must match the file name."""
    match = ADDRESS.match(ref) if isinstance(ref, str) else None
    path = campaigns_dir / match.group(1) / f"{match.group(2)}.yaml" if match else Path(ref)
    if not match and path.suffix not in {".yaml", ".yml"}:
        raise BadInput(f"goal {str(ref)!r} is neither group:name nor a path to a .yaml file")
    if not path.is_file():
        raise BadInput(f"goal {ref}: no file {path} (`sentinel campaign list` shows the goals)")
    address = str(ref) if match else str(path)
    try:
        if path.stat().st_size > MAX_GOAL_BYTES:
            raise BadInput(f"{path}: goal file is larger than {MAX_GOAL_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"{path}: cannot be read as UTF-8 text ({type(err).__name__})") from None
    return goal_from_yaml(text, str(path), address, path.stem if PART.match(path.stem) else "")


def list_goals(campaigns_dir: Path = CAMPAIGNS_DIR) -> list[tuple[str, str]]:
    """(address, description) of every goal, sorted; a broken goal is listed with its error."""
    rows: list[tuple[str, str]] = []
    paths = sorted(campaigns_dir.glob("*/*.yaml")) if campaigns_dir.is_dir() else []
    for address in (f"{p.parent.name}:{p.stem}" for p in paths if ADDRESS.match(f"{p.parent.name}:{p.stem}")):
        try:
            goal = load_goal(address, campaigns_dir)
        except BadInput as err:
            rows.append((address, f"invalid goal: {err}"))
            continue
        rows.append((address, " ".join(goal.description.split())))
    return rows


def check_goal_configs(goal: CampaignGoal, configs_dir: Path = CONFIGS_DIR) -> None:
    """Raise BadInput unless the experiment and every group choice exist as config files; apart
    from parsing because it depends on the configs checkout. Call it before writing anything."""
    experiment = configs_dir / "experiments" / f"{goal.experiment}.yaml"
    if not experiment.is_file():
        raise BadInput(f"goal {goal.address}: experiment: no config {experiment}")
    named = [(k, v) for k, dim in goal.search_space if isinstance(dim, Choices) for v in dim.values]
    for group, choice in [*named, *goal.start]:
        if group in GROUP_FOLDERS:
            path = configs_dir / GROUP_FOLDERS[group] / f"{choice}.yaml"
            if not path.is_file():
                raise BadInput(f"goal {goal.address}: {group}: no config {path}")
