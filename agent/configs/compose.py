"""Compose one run config from configs/: an experiment, one entry per group, dotted overrides.

Order of precedence, lowest first: the group entries the experiment's `defaults:` names (with
CLI `group=entry` picks replacing them), the experiment's own `overrides:`, then CLI `a.b=value`
overrides in the order given. OmegaConf does the merging; the result must then pass the
registry (`sentinel.contract.config`), the same check the container repeats.

When the CLI re-picks a group, the experiment's overrides of that group are kept only for
keys the new entry also has (an MLP's `hidden` means nothing to a CNN; `epochs` does to any
trainer). Interpolations (`${...}`) are refused outright: `${oc.env:...}` would copy host
environment variables into a config that ends up inside an image.

Agent-written entries live under `<generated_root>/generated/<group dir>/` (tier-2 variants such
as `generated/trainers/default_warm_cosine.yaml`, tier-3 models as `generated/models/<name>.{py,yaml}`)
and are picked like any other entry (`trainer=default_warm_cosine`); a built-in entry of the same
name always wins, so a generated file can never replace one. A campaign's `generated_root` is its
own folder under the runs folder (`runs/<campaign>/`), so one campaign never sees another's
generated entries; without one, `configs_dir` itself is the root (older callers, `sandbox run`).
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sentinel.agent.configs.overrides import Override, dotted_key, parse_overrides
from sentinel.agent.errors import ConfigError
from sentinel.contract.config import ConfigInvalid, dump_yaml, load_yaml, validate_config
from sentinel.contract.registry import GENERATED_TARGET, GROUPS, TARGETS

__all__ = ["GENERATED_DIR", "GROUP_DIRS", "ResolvedConfig", "compose", "entries", "experiments", "load_entry"]

GROUP_DIRS = {"dataset": "datasets", "model": "models", "trainer": "trainers", "monitor": "monitor"}
GENERATED_DIR = Path("generated")
GENERATED_MODELS = GENERATED_DIR / "models"
EXPERIMENT_KEYS = frozenset({"description", "defaults", "seed", "overrides"})
MAX_FILE_BYTES = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ResolvedConfig:
    """A checked run config, the generated model files it needs, and the one digest of both.

    Composed once per run on the host and passed along (validation, approval, review bundle,
    launch): `files` holds the bytes of each job file as they were read and digested, so what
    the image bakes is exactly what was validated and approved, even if a file changes on disk
    afterwards. `generated_files` are the paths they came from (`<root>/generated/models/
    <module>.py`; the sandbox copies them to `/job/generated/<module>.py`). `sha256` is
    `config_digest(to_yaml(), files)`: the digest on the store row, the review bundle, the
    image label and run.json.
    """

    config: dict[str, Any]
    generated_files: tuple[Path, ...]
    sha256: str
    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))

    def to_yaml(self) -> str:
        return dump_yaml(self.config)

    def source(self, name: str) -> str:
        """A job file's text (a generated model's source), exactly the bytes that were digested."""
        return self.files[name].decode("utf-8")

    @classmethod
    def of(
        cls, config: dict[str, Any], files: Mapping[str, bytes], paths: tuple[Path, ...] = ()
    ) -> ResolvedConfig:
        """A resolved config from a config and its job files, with the one digest computed here."""
        frozen = MappingProxyType(dict(files))
        return cls(config, paths, config_digest(dump_yaml(config), frozen), frozen)


def experiments(configs_dir: Path) -> list[str]:
    return _names(Path(configs_dir) / "experiments")


def entries(configs_dir: Path, group: str, generated_root: Path | None = None) -> list[str]:
    """Entry names of `group`; generated ones (<generated_root>/generated/<dir>/) after the built-in ones."""
    if group not in GROUP_DIRS:
        raise ConfigError(f"unknown config group {group!r} ({', '.join(GROUP_DIRS)})")
    names = _names(Path(configs_dir) / GROUP_DIRS[group])
    generated = _names(Path(generated_root or configs_dir) / GENERATED_DIR / GROUP_DIRS[group])
    return names + [n for n in generated if n not in names]


def load_entry(
    configs_dir: Path, group: str, name: str, generated_root: Path | None = None
) -> dict[str, Any]:
    """One group entry as written (built-in first, then generated): the base a tier-2 variant
    starts from. ConfigError if the group, the name or the file is bad."""
    if group not in GROUP_DIRS:
        raise ConfigError(f"unknown config group {group!r} ({', '.join(GROUP_DIRS)})")
    return _load_entry(Path(configs_dir), group, name, generated_root)


def compose(
    experiment: str, overrides: list[str], configs_dir: Path, generated_root: Path | None = None
) -> ResolvedConfig:
    """Build and check the run config of `experiment` with `overrides`; ConfigError if bad."""
    configs_dir = Path(configs_dir)
    root = Path(generated_root) if generated_root is not None else configs_dir
    experiment = experiment.removeprefix("experiment=")
    texts = list(overrides)
    for text in [t for t in texts if t.startswith("experiment=")]:
        if text != f"experiment={experiment}":
            raise ConfigError(f"override {text!r} conflicts with experiment {experiment!r}")
        texts.remove(text)
    parsed = parse_overrides(texts)
    spec = _load_experiment(configs_dir, experiment)
    picks = {o.key: o.value for o in parsed if o.kind == "group"}
    selected = {**spec["defaults"], **picks}
    if "monitor" not in selected and (configs_dir / "monitor" / "default.yaml").is_file():
        selected["monitor"] = "default"
    base: dict[str, Any] = {"experiment": {"name": experiment, "seed": spec.get("seed", 0)}}
    for group in GROUPS:
        base[group] = _load_entry(configs_dir, group, selected[group], root) if group in selected else None
    if base["monitor"] is None:
        base["monitor"] = {"enabled": False}
    exp_overrides = [o for o in spec["overrides"] if o.section not in picks or _fits(o, base[o.section])]
    merged = _merge(base, [*exp_overrides, *(o for o in parsed if o.kind == "set")])
    try:
        config = validate_config(merged)
    except ConfigInvalid as err:
        raise ConfigError(f"experiment {experiment!r}: {err}") from None
    _check_monitor(config["monitor"])
    paths = _generated_files(root, config["model"]["_target_"])
    return ResolvedConfig.of(config, {path.name: _read_source(path) for path in paths}, paths)


def _load_experiment(configs_dir: Path, name: str) -> dict[str, Any]:
    if not _NAME.match(name):
        raise ConfigError(f"experiment name {name!r} is not a plain name")
    path = configs_dir / "experiments" / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(experiments(configs_dir)) or "none"
        raise ConfigError(f"unknown experiment {name!r} (known: {known})")
    raw = _read_yaml(path)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be a mapping")
    unknown = set(raw) - EXPERIMENT_KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {sorted(unknown)[0]!r} ({', '.join(sorted(EXPERIMENT_KEYS))})"
        )
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - set(GROUPS):
        raise ConfigError(f"{path}: defaults must map groups ({', '.join(GROUPS)}) to entry names")
    missing = [g for g in ("dataset", "model", "trainer") if g not in defaults]
    if missing:
        raise ConfigError(f"{path}: defaults names no {missing[0]!r} entry")
    overrides = raw.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{path}: overrides must map dotted keys to values")
    parsed = []
    for key, value in overrides.items():
        try:
            parsed.append(Override("set", dotted_key(key), value, f"{key}={value!r}"))
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
    seed = raw.get("seed", 0)
    return {"defaults": dict(defaults), "seed": seed, "overrides": parsed}


def _load_entry(
    configs_dir: Path, group: str, name: Any, generated_root: Path | None = None
) -> dict[str, Any]:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{group} entry {name!r} is not a plain name")
    path = configs_dir / GROUP_DIRS[group] / f"{name}.yaml"
    if not path.is_file():
        path = Path(generated_root or configs_dir) / GENERATED_DIR / GROUP_DIRS[group] / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(entries(configs_dir, group, generated_root)) or "none"
        raise ConfigError(f"unknown {group} entry {name!r} (known: {known})")
    raw = _read_yaml(path)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be a mapping")
    return dict(raw)


def _read_yaml(path: Path) -> Any:
    try:
        if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: not a regular file of at most {MAX_FILE_BYTES} bytes")
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({type(err).__name__})") from None
    except ConfigInvalid as err:
        raise ConfigError(f"{path}: {err}") from None
    _no_interpolation(data, str(path))
    return data


def _no_interpolation(value: Any, where: str) -> None:
    if isinstance(value, str) and "${" in value:
        raise ConfigError(f"{where}: interpolations (${{...}}) are not allowed in configs")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _no_interpolation(key, where)
            _no_interpolation(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_interpolation(item, where)


def _fits(override: Override, entry: Mapping[str, Any] | None) -> bool:
    """Does `override` name a key the (re-picked) entry has, in its file or its registry schema?"""
    if entry is None:
        return False
    key = override.key.split(".")[1]
    target = TARGETS.get(str(entry.get("_target_")))
    return key in entry or (target is not None and key in target.params)


def _merge(base: dict[str, Any], overrides: list[Override]) -> Any:
    for override in overrides:
        _no_interpolation(override.value, f"override {override.text!r}")
    try:
        cfg = OmegaConf.create(base)
        for override in overrides:
            OmegaConf.update(cfg, override.key, override.value, merge=False, force_add=True)
        return OmegaConf.to_container(cfg, resolve=False)
    except OmegaConfBaseException as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"cannot apply overrides: {message}") from None


def _check_monitor(section: dict[str, Any]) -> None:
    """The monitor owns its keys; if its parser is importable, let it reject typos here."""
    try:
        from sentinel.monitor.config import MonitorConfig
    except ImportError:
        return
    try:
        MonitorConfig.from_params(section)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"monitor: {err}") from None


def _generated_files(configs_dir: Path, target: str) -> tuple[Path, ...]:
    match = GENERATED_TARGET.match(target)
    if match is None:
        return ()
    path = configs_dir / GENERATED_MODELS / f"{match.group(1)}.py"
    try:
        mode = path.lstat().st_mode
    except OSError:
        raise ConfigError(f"model {target!r} needs {path}, which does not exist") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(f"model {target!r} needs {path}, which is not a regular file")
    return (path,)


def _read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path} cannot be read ({type(err).__name__})") from None


def config_digest(text: str, files: Mapping[str, bytes]) -> str:
    """The one config digest (store, review bundle, approval, image label, run.json): the
    config's YAML text, then each job file's name and bytes in order."""
    digest = hashlib.sha256(text.encode())
    for name, data in files.items():
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file() and _NAME.match(p.stem))
