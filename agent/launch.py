"""Launch one sandboxed training run from a resolved config.

This is the single path from "what to train" to "a finished run folder", shared by
`sentinel sandbox run`, the campaign loop, the executors and the benches. The config is
composed once by the caller (`resolve_request` for a request's experiment, overrides and
model file; the campaign loop's validation for a proposal) and passed in as a
`ResolvedConfig`: its digest is the one on the image label and in run.json, and its job file
bytes are what the image bakes. `launch_run` gates a `--model-file` through the validator,
builds the per-run image, runs it hardened and keeps the results. Bad input fails before
anything is written or started.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.errors import BadInput
from sentinel.sandbox.paths import CONFIGS_DIR, DATA_DIR, RUNS_DIR

if TYPE_CHECKING:  # docker is imported only when a run is launched
    from sentinel.contract.records import RunResult
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.images import ImageRef

GENERATED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_MODEL_FILE_BYTES = 256 * 1024

OnProgress = Callable[[Path, dict], None]  # (live artifacts folder, resolved config)


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    experiment: str
    overrides: tuple[str, ...] = ()
    model_file: Path | None = None
    isolation: str = "runc"
    timeout_s: float = 600.0
    cpus: float = 1.0
    memory: str = "2g"
    out_dir: Path | None = None
    keep_image: bool = False
    unsafe_skip_validation: bool = False
    campaign: str = "adhoc"
    approval_digest: str = ""
    monitor: bool = True
    run_id: str | None = None
    data_dir: Path | None = None  # None = DATA_DIR
    runtime_image: str | None = None  # a tag the caller already checked; None = ensure it here
    # Score the best checkpoint in a second container against host-held targets (the only
    # numbers a campaign ranks). Off only where nothing is ranked (the monitor's bench twins).
    trusted_evaluation: bool = True
    generated_root: Path | None = None  # a campaign's folder holding its generated/ entries


@dataclass(frozen=True, slots=True)
class LaunchOutcome:
    """The run's result, or why it never started (validator rejection)."""

    run_id: str
    status: str
    reason: str
    out_dir: Path
    config: dict = field(default_factory=dict)
    result: RunResult | None = None  # when a container ran
    validator_report: dict | None = None

    def to_json(self) -> dict:
        data = {
            "run_id": self.run_id,
            "status": self.status,
            "reason": self.reason,
            "out_dir": str(self.out_dir),
        }
        if self.result is not None:
            data.update(self.result.to_json())
        if self.validator_report is not None:
            data["validator"] = self.validator_report
        return data


def new_run_id(experiment: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", experiment.lower()).strip("-")[:24] or "run"
    return f"{stem}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def _model_class(source: str) -> str:
    """The class a model file offers the registry (parse only, never run): the first top-level
    nn.Module subclass whose __init__ takes (input_shape, output_dim), else the first subclass."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise BadInput(f"model file does not parse: line {err.lineno}: {err.msg}") from None
    except (MemoryError, RecursionError):  # CPython's parser on deeply nested expressions
        raise BadInput("model file is nested too deeply to parse") from None
    modules = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(
            (base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")) == "Module"
            for base in node.bases
        )
    ]
    for node in modules:
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                names = [a.arg for a in item.args.args[1:3]]
                if names == ["input_shape", "output_dim"]:
                    return node.name
    if modules:
        return modules[0].name
    raise BadInput("model file defines no nn.Module subclass")


def _read_model_file(path: Path) -> tuple[str, str, str]:
    """(module name, class name, source) of a model file; bad files are bad input (exit 2)."""
    if not path.is_file():
        raise BadInput(f"model file {path} does not exist or is not a regular file")
    if path.stat().st_size > MAX_MODEL_FILE_BYTES:
        raise BadInput(f"model file {path} is larger than {MAX_MODEL_FILE_BYTES} bytes")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"model file {path} cannot be read as UTF-8: {err}") from None
    module = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())
    if not GENERATED_NAME.match(module):
        module = f"m_{module}"[:48]
    return module, _model_class(source), source


def _within_host(memory_bytes: int) -> int:
    """A memory limit above the machine's memory is no limit at all: refuse it (exit 2)."""
    import os

    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if memory_bytes > host:
        raise BadInput(f"--memory {memory_bytes} bytes is more than this machine has ({host} bytes)")
    return memory_bytes


def _model_source(resolved: ResolvedConfig) -> str:
    """The model file's text among the job files: the module the config's model target names."""
    module = str(resolved.config["model"]["_target_"]).split(".")[1]
    return resolved.source(f"{module}.py")


def _validate(source: str, filename: str) -> dict | None:
    """None when accepted, else the validator's report as a dict."""
    from sentinel.validator import validate_source

    report = validate_source(source, filename=filename)
    return None if report.accepted else report.to_dict()


def _runtime_image(engine: Engine, pinned: str | None) -> ImageRef:
    """The runtime layer to build on: a caller's pinned tag (checked, never rebuilt, so parallel
    runs of one bench share one image and never race to build it), else today's sources'."""
    from sentinel.sandbox.errors import ImageUnavailable
    from sentinel.sandbox.images import ImageRef, ensure_runtime_image

    if pinned is None:
        return ensure_runtime_image(engine)
    image_id = engine.image_id(pinned)
    if image_id is None:
        raise ImageUnavailable(f"runtime image {pinned} is gone from the engine; run `sentinel doctor --fix`")
    return ImageRef(pinned, image_id, built=False, seconds=0.0)


def resolve_request(request: LaunchRequest) -> ResolvedConfig:
    """The request's run config, composed once: its experiment and overrides, its model file
    (read, bounded, and named as the model), its monitor switch. ConfigError/BadInput (exit 2)."""
    from sentinel.agent.configs import compose

    resolved = compose(request.experiment, list(request.overrides), CONFIGS_DIR, request.generated_root)
    if request.model_file is None and request.monitor:
        return resolved
    config, files = resolved.config, dict(resolved.files)
    if request.model_file is not None:
        module, class_name, model_source = _read_model_file(request.model_file)
        config["model"] = {"_target_": f"generated.{module}.{class_name}"}
        files[f"{module}.py"] = model_source.encode()
    if not request.monitor:
        config.setdefault("monitor", {})["enabled"] = False
    return ResolvedConfig.of(config, files, resolved.generated_files)


def launch_run(
    resolved: ResolvedConfig, request: LaunchRequest, on_progress: OnProgress | None = None
) -> LaunchOutcome:
    """Run `resolved` as `request` says (limits, isolation, folder, labels) to its end.

    `resolved` was composed (and its generated files validated) by the caller; its digest labels
    the image and goes into run.json, its files are what the image bakes. A `request.model_file`
    is judged here by the validator (`sandbox run --model-file`), unless the security tests
    skip it on purpose."""
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.evaluation import PendingEvaluation
    from sentinel.sandbox.images import build_run_image
    from sentinel.sandbox.run import clear_exit_note, reap_orphans, run_container, write_run_record
    from sentinel.sandbox.spec import RunLimits, RunSpec, parse_size

    config = resolved.config
    job_files = {f"generated/{name}": data for name, data in resolved.files.items()}
    limits = RunLimits(
        timeout_s=request.timeout_s, cpus=request.cpus, memory_bytes=_within_host(parse_size(request.memory))
    )
    run_id = request.run_id or new_run_id(request.experiment)
    out_dir = request.out_dir or RUNS_DIR / request.campaign / run_id
    data_dir = request.data_dir.resolve() if request.data_dir is not None else DATA_DIR
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BadInput(f"output folder {out_dir} already exists and is not empty")

    config_text = resolved.to_yaml()
    # One digest everywhere (store, review bundle, approval, image label, run.json).
    config_sha = resolved.sha256
    code_blob = b"".join(job_files[k] for k in sorted(job_files))
    code_digest = hashlib.sha256(code_blob).hexdigest() if code_blob else ""

    if request.model_file is not None and not request.unsafe_skip_validation:
        report = _validate(_model_source(resolved), str(request.model_file))
        if report is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "config.yaml").write_text(config_text)
            (out_dir / "validator.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
            outcome = LaunchOutcome(
                run_id,
                "rejected_by_validator",
                "the validator rejected the model file",
                out_dir,
                config,
                validator_report=report,
            )
            (out_dir / "run.json").write_text(json.dumps(outcome.to_json(), indent=2, sort_keys=True) + "\n")
            return outcome

    RunSpec(
        run_id=run_id, image="", data_dir=data_dir, isolation=request.isolation, limits=limits
    )  # checks input
    engine = Engine()
    reap_orphans(engine)
    runtime = _runtime_image(engine, request.runtime_image)
    job_files["config.yaml"] = config_text.encode()
    labels = {
        "campaign": request.campaign,
        "config_sha256": config_sha,
        "code_sha256": code_digest,
        "approval_digest": request.approval_digest,
        "isolation": request.isolation,
    }
    run_image = build_run_image(engine, runtime.tag, run_id, job_files, labels)
    extra = {
        "image_id": run_image.image_id,
        "runtime_image": runtime.tag,
        "limits": {
            "timeout_s": limits.timeout_s,
            "cpus": limits.cpus,
            "memory_bytes": limits.memory_bytes,
            "pids": limits.pids,
            "artifact_bytes": limits.artifact_bytes,
        },
        "config_sha256": config_sha,
        "code_sha256": code_digest,
        "approval_digest": request.approval_digest,
        "image_build_s": round(run_image.seconds, 3),
        "unsafe_skip_validation": request.unsafe_skip_validation,
        "kept_image": request.keep_image,
    }
    try:
        spec = RunSpec(
            run_id=run_id,
            image=run_image.tag,
            data_dir=data_dir,
            isolation=request.isolation,
            limits=limits,
            labels=tuple(sorted(labels.items())),
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.yaml").write_text(config_text)
        poll = (lambda live_dir: on_progress(live_dir, config)) if on_progress else None
        if request.trusted_evaluation:  # started first: it gets ready while training runs
            cap = int(float(config["trainer"].get("checkpoint_max_mb", 16.0)) * 1024 * 1024)
            with PendingEvaluation(engine, spec, config["dataset"]["name"], cap) as evaluation:
                trained = run_container(engine, spec, out_dir, on_poll=poll)
                # Durable at once: a host killed from here on is adopted on resume, never trained again.
                write_run_record(trained, {**extra, "stage": "trained"})
                result = evaluation.finish(trained)
        else:
            result = run_container(engine, spec, out_dir, on_poll=poll)
        write_run_record(result, {**extra, "stage": "final"})
        clear_exit_note(run_id)
    finally:
        if not request.keep_image:
            engine.remove_image(run_image.tag)
    return LaunchOutcome(run_id, result.status, result.reason, out_dir, config, result=result)
