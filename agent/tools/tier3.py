"""Tier 3 tools: read model source, and register new model code behind the validator.

Source is only ever read as text on the host, never imported: generated code is imported
inside a container alone (DESIGN.md). Registration runs the tier-3 policy first; a rejection is
not an error of the tool but an answer, a `ModelRegistration` with every finding (code, line,
message) so the author, an LLM or the strategist, can fix the code and try again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sentinel.sandbox.paths as sandbox_paths
from sentinel.agent.configs import GENERATED_DIR, GROUP_DIRS, entries, load_entry
from sentinel.agent.errors import BadInput
from sentinel.agent.tools._context import ToolContext, ToolInputError, check_entry_name
from sentinel.agent.tools.records import ModelRegistration, ModelSource
from sentinel.contract.registry import GENERATED_TARGET, TARGETS
from sentinel.validator import (
    InvalidName,
    InvalidParams,
    ModelRejected,
    validate_source,
)
from sentinel.validator import (
    register_generated_model as _register,
)

__all__ = ["MAX_SOURCE_CHARS", "read_model_source", "register_generated_model"]

MAX_SOURCE_CHARS = 60_000
_SANDBOX_PREFIX = "sentinel.sandbox."
Scalar = str | int | float | bool


def read_model_source(ctx: ToolContext, model: str) -> ModelSource:
    """Show the Python source of a model entry (built-in or generated), to learn from or to vary.

    Args:
        model: A model entry name, e.g. cnn1d or a generated model (see list_available_configs).
    """
    if not isinstance(model, str) or model not in entries(ctx.configs_dir, "model", ctx.generated_root):
        known = ", ".join(entries(ctx.configs_dir, "model", ctx.generated_root))
        raise ToolInputError(f"model must be a model entry ({known}), got {str(model)[:60]!r}")
    try:
        target = str(load_entry(ctx.configs_dir, "model", model, ctx.generated_root).get("_target_"))
    except BadInput as err:
        raise ToolInputError(f"model {model!r} cannot be read: {err}") from None
    return ModelSource(model, target, _read_text(_source_path(ctx, target)))


def register_generated_model(
    ctx: ToolContext,
    source: str,
    name: str,
    params: dict[str, Scalar] | None = None,
    class_name: str = "",
) -> ModelRegistration:
    """Validate new model code and, if it passes, register it as the model entry `name`.

    The code must define an nn.Module subclass with `__init__(self, input_shape, output_dim, **params)`
    taking inputs of shape (batch, *input_shape) to outputs (batch, output_dim), using only torch,
    math and the other allowed imports. The answer starts with "accepted" (then pick it with
    model=<name>) or "rejected" followed by every finding to fix.

    Args:
        source: The complete Python module source.
        name: Entry and module name: 1-48 characters of a-z, 0-9 and _, starting with a letter.
        params: Constructor keyword values to store in the entry, e.g. {"width": 32}; optional.
        class_name: The class to build when the module defines several; empty picks the only one.
    """
    name = check_entry_name(name)
    if not isinstance(source, str) or not source.strip():
        raise ToolInputError("source must be the module's Python text")
    if len(source) > MAX_SOURCE_CHARS:
        raise ToolInputError(f"source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS}")
    if params is not None and not isinstance(params, dict):
        raise ToolInputError("params must be a mapping of constructor keyword names to plain values")
    if not isinstance(class_name, str):
        raise ToolInputError("class_name must be a string (empty for the only model class)")
    _check_free(ctx, name)
    shown = f"generated/models/{name}.py"
    report = validate_source(source, class_name=class_name or None, filename=shown)
    if not report.accepted:
        return ModelRegistration(False, name, violations=tuple(report.violations))
    try:
        ctx.root.mkdir(parents=True, exist_ok=True)
        reg = _register(source, name, ctx.root, class_name or None, dict(params or {}))
    except ModelRejected as err:  # pragma: no cover - the same policy accepted it just above
        return ModelRegistration(False, name, violations=tuple(err.report.violations))
    except (InvalidName, InvalidParams) as err:
        raise ToolInputError(str(err)) from None
    return ModelRegistration(True, name, reg.class_name, reg.target, reg.sha256, dict(reg.params))


# helpers -------------------------------------------------------------------------------------
def _check_free(ctx: ToolContext, name: str) -> None:
    """A generated model may not hide behind a built-in name or overwrite a tier-2 YAML variant."""
    if (ctx.configs_dir / GROUP_DIRS["model"] / f"{name}.yaml").exists():
        raise ToolInputError(f"name {name!r} is a built-in model entry; choose another name")
    folder = ctx.root / GENERATED_DIR / "models"
    if (folder / f"{name}.yaml").exists() and not (folder / f"{name}.py").exists():
        raise ToolInputError(f"name {name!r} is a tier-2 config variant; choose another name")


def _source_path(ctx: ToolContext, target: str) -> Path:
    match = GENERATED_TARGET.match(target)
    if match is not None:
        return ctx.root / GENERATED_DIR / "models" / f"{match.group(1)}.py"
    if target in TARGETS and target.startswith(_SANDBOX_PREFIX):
        module = target[len(_SANDBOX_PREFIX) :].rsplit(".", 1)[0]
        return Path(sandbox_paths.__file__).resolve().parent.joinpath(*module.split(".")).with_suffix(".py")
    raise ToolInputError(f"target {target!r} has no readable source")


def _read_text(path: Path) -> str:
    """A regular file (no link), bounded, UTF-8: read as text, never imported."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        raise ToolInputError(f"model source {path.name} is missing or not a regular file") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ToolInputError(f"model source {path.name} is not a regular file")
        data = os.read(fd, MAX_SOURCE_CHARS * 4 + 1)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolInputError(f"model source {path.name} is not UTF-8 text") from None
    if len(text) > MAX_SOURCE_CHARS:
        raise ToolInputError(f"model source {path.name} is longer than {MAX_SOURCE_CHARS} characters")
    return text
