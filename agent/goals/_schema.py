"""The declared schema of a campaign goal file: pydantic models, one per YAML mapping.

`GoalSpec` reads like the file it checks (DESIGN.md's example): its fields, their types,
defaults and which are required. pydantic walks the nesting, refuses unknown keys and knows
where each value sits; the field types below (`Runs`, `Memory`, `SearchSpace`, ...) hold Sentinel's
own rules and wording, so every problem still becomes one line naming the dotted field:
`goal.yaml: budget.runs: must be in 1..10000, got 0`. Search-space and `start` keys are
checked against the runtime registry, so a campaign never spends its budget on a parameter the
trainer would refuse. Why pydantic rather than OmegaConf structured configs: a goal needs
patterns, bounds, a union of two shapes per search dimension and registry lookups, and strict
types (YAML's `1e-3` is a string, not a float, and must be named as such), where a structured
config would coerce silently and report in its own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sentinel.agent.errors import BadInput
from sentinel.agent.goals._types import (
    MAX_RUNS,
    CampaignGoal,
    Choices,
    GoalBudget,
    GoalMetric,
    Range,
    SandboxSettings,
    Scalar,
)
from sentinel.contract.params import ConfigInvalid, check_param
from sentinel.contract.registry import EXPERIMENT_NAME, TARGETS, Param

__all__ = ["ADDRESS", "CHOICE_GROUPS", "GROUP_FOLDERS", "PART", "GoalSpec", "parse_goal"]

MAX_SEARCH_DIMS = 32
MAX_CHOICES = 32
MAX_DESCRIPTION = 2000
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


# Problems and where they are ----------------------------------------------------------------
def _bad(problem: str, at: str = "") -> PydanticCustomError:
    """A problem in Sentinel's words; `at` continues the field's dotted path inside its value."""
    return PydanticCustomError("goal", "{problem}", {"problem": problem, "at": at})


def _show(value: object) -> str:
    return text if len(text := repr(value)) <= 60 else text[:57] + "..."


def _join(where: str, key: object) -> str:
    shown = key if isinstance(key, str) and 0 < len(key) <= 60 and key.isprintable() else _show(key)
    return f"{where}.{shown}" if where else str(shown)


def _where(loc: tuple[int | str, ...], at: str) -> str:
    where = ""
    for part in loc:
        where = f"{where}[{part}]" if isinstance(part, int) else _join(where, part)
    return f"{where}{at}" if not at.startswith(".") or where else at[1:]


def _one_line(err: ValidationError) -> str:
    """The first problem as `field.path: problem`; pydantic's own error types in our words."""
    first = err.errors(include_url=False)[0]
    ctx = first.get("ctx") or {}
    kind = first["type"]
    problem = ctx["problem"] if kind == "goal" else "is required" if kind == "missing" else first["msg"]
    where = _where(tuple(first["loc"]), str(ctx.get("at", "")))
    return f"{where}: {problem}" if where else problem


# Field types: a value in, the parsed value out, or a problem in Sentinel's words --------------
# (PlainValidator: these functions are the whole check, so strict typing and the wording are ours)
def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = " (YAML reads 1e-3 as text: write 1.0e-3)" if SCI.match(str(value)) else ""
        raise _bad(f"must be a number, got {_show(value)}{hint}")
    number = float(value) if abs(value) < 1e300 else math.inf
    if not math.isfinite(number):
        raise _bad(f"must be a finite number, got {_show(value)}")
    return number


def _within(low: float, high: float, integer: bool = False) -> Callable[[object], float | int]:
    def check(value: object) -> float | int:
        if integer and (isinstance(value, bool) or not isinstance(value, int)):
            raise _bad(f"must be an integer, got {_show(value)}")
        number = _number(value)
        if not low <= number <= high:
            raise _bad(f"must be in {low}..{high}, got {_show(value)}")
        return int(value) if integer else number  # type: ignore[call-overload]

    return check


def _matching(pattern: re.Pattern[str], hint: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise _bad(f"must be {hint}, got {_show(value)}")
        return value

    return check


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"must be true or false, got {_show(value)}")
    return value


def _description(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise _bad(f"must be a string of at most {MAX_DESCRIPTION} characters")
    if not all(ch.isprintable() or ch in "\n\t" for ch in value):
        raise _bad("contains control characters")
    return value.strip()


def _text(pattern: re.Pattern[str], hint: str) -> Any:
    return Annotated[str, PlainValidator(_matching(pattern, hint))]


def _number_in(low: float, high: float) -> Any:
    return Annotated[float, PlainValidator(_within(low, high))]


def _integer_in(low: int, high: int) -> Any:
    return Annotated[int, PlainValidator(_within(low, high, integer=True))]


GoalName = _text(PART, "lowercase letters, digits, '_' or '-'")
ExperimentName = _text(EXPERIMENT_NAME, "an experiment name")
MetricName = _text(METRIC, "a summary key like val/mae or val/acc")
Mode = _text(re.compile("^(min|max)$"), "min or max")
Runs = _integer_in(1, MAX_RUNS)
WallMinutes = _number_in(0.1, MAX_WALL_MINUTES)
Isolation = _text(re.compile("^(runc|gvisor)$"), "runc or gvisor")
Timeout = _number_in(1, 86400)
Cpus = _number_in(0.1, 64)
Memory = _text(MEMORY, "a size like 512m or 2g")
Tier = _integer_in(1, 3)
Flag = Annotated[bool, PlainValidator(_flag)]
Target = Annotated[float | None, PlainValidator(lambda v: None if v is None else _number(v))]
Description = Annotated[str, PlainValidator(_description)]


# Search space and start: dotted keys checked against the registry -----------------------------
def _param(key: object) -> Param | None:
    """The registry Param a dotted key names, or None for a config-group choice (`model`)."""
    if key in CHOICE_GROUPS:
        return None
    section, dot, name = key.partition(".") if isinstance(key, str) else ("", "", "")
    if not dot or section not in PARAM_SECTIONS:
        allowed = ", ".join((*CHOICE_GROUPS, *(f"{s}.<param>" for s in PARAM_SECTIONS)))
        raise _bad(f"unknown key (allowed: {allowed})")
    params = [t.params[name] for t in TARGETS.values() if t.group == section and name in t.params]
    if not params or params[0].kind not in {"int", "float", "str", "bool"}:
        raise _bad(f"{section} has no tunable parameter {_show(name)}")
    if len({(p.kind, p.low, p.high, p.choices) for p in params}) == 1:
        return params[0]
    lows = [p.low for p in params if p.low is not None]  # models differ: the union of their bounds
    highs = [p.high for p in params if p.high is not None]
    return Param(params[0].kind, low=min(lows, default=None), high=max(highs, default=None))


def _scalar(value: object, param: Param | None) -> Scalar:
    """One value for a key: a config name for a group, else a value the registry accepts."""
    if param is None:
        return _matching(CONFIG_NAME, "a config name like cnn1d")(value)
    try:
        return check_param("", value, param)  # the registry's one rule (contract.params)
    except ConfigInvalid as err:
        raise _bad(str(err).strip()) from None  # its line names the value; the path is ours


def _inside(at: str, check: Callable[[], Any]) -> Any:
    """Run `check`; a problem it raises is placed `at` this position inside the value."""
    try:
        return check()
    except PydanticCustomError as err:
        inner = str((err.context or {}).get("at", ""))
        raise _bad(str((err.context or {})["problem"]), at + inner) from None


def _dimension(spec: object, param: Param | None) -> Range | Choices:
    if isinstance(spec, list):
        if not 1 <= len(spec) <= MAX_CHOICES:
            raise _bad(f"must list 1..{MAX_CHOICES} choices, got {len(spec)}")
        values = tuple(_inside(f"[{i}]", lambda v=v: _scalar(v, param)) for i, v in enumerate(spec))
        if len({(type(v), v) for v in values}) != len(values):
            raise _bad("lists a choice twice")
        return Choices(values)
    if not isinstance(spec, Mapping):
        raise _bad(f"must be {{low, high, log}} or a list of choices, got {_show(spec)}")
    if param is None or param.kind not in {"int", "float"}:
        raise _bad("is not numeric, so it takes a list of choices, not {low, high}")
    _known(spec, ("low", "high", "log"), "it")
    for key in ("low", "high"):
        if key not in spec:
            raise _bad("is required", f".{key}")
    low, high = (_inside(f".{k}", lambda k=k: _scalar(spec[k], param)) for k in ("low", "high"))
    for key, bound in (("low", low), ("high", high)):
        if bound is None:  # a nullable param (trainer.max_steps) may be null, a range's end may not
            raise _bad("a range's end may not be null", f".{key}")
    log = _inside(".log", lambda: _flag(spec.get("log", False)))
    if low >= high:
        raise _bad(f"low must be below high (got low={low!r}, high={high!r})")
    if log and low <= 0:
        raise _bad(f"must be > 0 for a log range, got {low!r}", ".low")
    return Range(float(low), float(high), log, param.kind == "int")


def _keyed(parse: Callable[[object, Param | None], Any]) -> Callable[[object], tuple]:
    """A mapping of dotted keys (search_space, start): keys checked against the registry."""

    def check(value: object) -> tuple:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            raise _bad(f"must be a mapping of dotted keys, got {type(value).__name__}")
        if len(value) > MAX_SEARCH_DIMS:
            raise _bad(f"has {len(value)} keys; at most {MAX_SEARCH_DIMS}")
        return tuple(
            (key, _inside(_join(".", key)[1:], lambda k=key, s=spec: parse(s, _param(k))))
            for key, spec in value.items()
        )

    return check


SearchSpace = Annotated[tuple[tuple[str, Range | Choices], ...], PlainValidator(_keyed(_dimension))]
Start = Annotated[tuple[tuple[str, Scalar], ...], PlainValidator(_keyed(_scalar))]


# The schema ----------------------------------------------------------------------------------
def _known(value: object, fields: tuple[str, ...], what: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise _bad(f"{what} must be a mapping, got {type(value).__name__}")
    for key in value:
        if key not in fields:
            raise _bad(f"unknown key (allowed: {', '.join(fields)})", _join(".", key)[1:])
    return value


class _Mapping(BaseModel):
    """A YAML mapping with exactly the declared keys; the first unknown key is the problem."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    what: ClassVar[str] = "it"

    @model_validator(mode="before")
    @classmethod
    def _only_known_keys(cls, value: object) -> object:
        return _known(value, tuple(cls.model_fields), cls.what)


class MetricSpec(_Mapping):
    name: MetricName
    mode: Mode

    @model_validator(mode="after")
    def _direction(self) -> MetricSpec:
        base = METRIC.match(self.name).group(1)  # type: ignore[union-attr]
        wrong = "min" if base in HIGHER_IS_BETTER else "max" if base in LOWER_IS_BETTER else None
        if self.mode == wrong:
            right = "min" if wrong == "max" else "max"
            raise _bad(f"{self.name} only makes sense with mode {right}", ".mode")
        return self


class BudgetSpec(_Mapping):
    runs: Runs
    wall_minutes: WallMinutes


class SandboxSpec(_Mapping):
    isolation: Isolation = "runc"
    timeout_s: Timeout = 600.0
    cpus: Cpus = 1.0
    memory: Memory = "2g"


class GoalSpec(_Mapping):
    """A goal file (`campaigns/<group>/<name>.yaml`); docs/campaigns.md explains each field."""

    what: ClassVar[str] = "the goal"
    name: GoalName
    experiment: ExperimentName
    metric: MetricSpec
    budget: BudgetSpec
    target: Target = None
    search_space: SearchSpace = ()
    start: Start = ()
    max_tier: Tier = 1
    sandbox: SandboxSpec = SandboxSpec()
    description: Description = ""
    stop_on_stagnation: Flag = False

    def goal(self, address: str) -> CampaignGoal:
        return CampaignGoal(
            address=address or self.name,
            name=self.name,
            experiment=self.experiment,
            metric=GoalMetric(self.metric.name, self.metric.mode),
            budget=GoalBudget(self.budget.runs, self.budget.wall_minutes),
            search_space=self.search_space,
            start=self.start,
            target=self.target,
            max_tier=self.max_tier,
            sandbox=SandboxSettings(**self.sandbox.model_dump()),
            description=self.description,
            stop_on_stagnation=self.stop_on_stagnation,
        )


def parse_goal(data: object, source: str = "goal", address: str = "", stem: str = "") -> CampaignGoal:
    """Validate plain data (YAML or a store snapshot) into a goal; `stem`: the name it must have.
    Any problem is one BadInput line: `<source>: <field>: <problem>` (exit 2)."""
    try:
        spec = GoalSpec.model_validate(data)
    except ValidationError as err:
        raise BadInput(f"{source}: {_one_line(err)}") from None
    if stem and spec.name != stem:
        raise BadInput(f"{source}: name: {_show(spec.name)} does not match the file name {_show(stem)}")
    return spec.goal(address)
