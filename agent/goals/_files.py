"""Goal files on disk: `group:name` addresses, bounded YAML, listing, and the configs a goal names.

A goal file is user input: it is read bounded (size, aliases, depth) and any problem at all,
PyYAML's own included, is one BadInput line naming the file (exit 2, nothing written).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from sentinel.agent.configs.bounded_yaml import YamlTooComplex, bounded_loader
from sentinel.agent.errors import BadInput
from sentinel.agent.goals._schema import ADDRESS, GROUP_FOLDERS, PART, parse_goal
from sentinel.agent.goals._types import CampaignGoal, Choices
from sentinel.sandbox.paths import CONFIGS_DIR, PROJECT_ROOT

__all__ = ["CAMPAIGNS_DIR", "check_goal_configs", "goal_from_yaml", "list_goals", "load_goal"]

CAMPAIGNS_DIR = Path(os.environ.get("SENTINEL_CAMPAIGNS", PROJECT_ROOT / "campaigns"))
MAX_GOAL_BYTES = 64 * 1024
_GOAL_LOADER = bounded_loader(yaml.SafeLoader)


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
