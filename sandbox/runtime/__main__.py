"""Container entrypoint: `python -m sentinel.sandbox.runtime [--config ...] [--data ...] ...`.

Reads the baked config, checks it again against the registry, trains, and always leaves a
summary.json in the artifacts folder. Exit codes (sandbox/run.py reads them; the host trusts
only these, never the summary): 0 completed, 3 diverged, 1 failed, 2 bad config (one line on
stderr). Writes nothing outside the artifacts folder: the rootfs is read-only and /tmp small.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import traceback
from pathlib import Path

from sentinel.sandbox.runtime.supervisor import make_undumpable

EXIT_CODES = {"completed": 0, "diverged": 3}
EXIT_FAILED, EXIT_BAD_CONFIG = 1, 2
MAX_CONFIG_BYTES = 1024 * 1024
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cpu_budget() -> int:
    """CPUs this process may use: SENTINEL_CPUS, else the cgroup quota, else the affinity mask."""
    counts = [len(os.sched_getaffinity(0))]
    env = os.environ.get("SENTINEL_CPUS", "")
    if env.isdigit() and int(env) > 0:
        counts.append(int(env))
    for path, parse in (
        ("/sys/fs/cgroup/cpu.max", _cgroup2),
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", _cgroup1),
    ):
        try:
            quota = parse(Path(path))
        except (OSError, ValueError):
            continue
        if quota is not None:
            counts.append(quota)
    return max(1, min(counts))


def _cgroup2(path: Path) -> int | None:
    quota, period = path.read_text().split()[:2]
    return None if quota == "max" else math.ceil(int(quota) / int(period))


def _cgroup1(path: Path) -> int | None:
    quota = int(path.read_text())
    period = int((path.parent / "cpu.cfs_period_us").read_text())
    return None if quota <= 0 else math.ceil(quota / period)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sentinel.sandbox.runtime", description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("/job/config.yaml"))
    parser.add_argument("--data", type=Path, default=Path("/data"))
    parser.add_argument("--artifacts", type=Path, default=Path("/artifacts"))
    parser.add_argument("--generated", type=Path, default=Path("/job/generated"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    sys.dont_write_bytecode = True  # the image is read-only; never try to write __pycache__
    make_undumpable()  # before any generated code: nothing it starts may read this process
    args = _parse(argv)
    threads = cpu_budget()
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)

    # Config first, with stdlib + PyYAML only: a bad config fails in milliseconds, before torch.
    from sentinel.contract.config import ConfigInvalid, load_yaml, validate_config
    from sentinel.sandbox.runtime.metrics import write_summary

    artifacts = args.artifacts
    if not artifacts.is_dir():
        print(f"error: artifacts folder {artifacts} does not exist", file=sys.stderr)
        return EXIT_FAILED

    def fail(reason: str, message: str, code: int = EXIT_FAILED) -> int:
        print(f"error: {message}", file=sys.stderr)
        summary = {"status": "failed", "reason": reason, "best": None, "final": None, "epochs": 0, "steps": 0}
        write_summary(artifacts, summary)
        return code

    try:
        config = validate_config(load_yaml(_read_config(args.config)))
    except (ConfigInvalid, OSError, UnicodeDecodeError) as err:
        return fail("exception", f"bad config {args.config}: {err}", EXIT_BAD_CONFIG)

    import torch  # after the thread variables, so OpenMP starts with the right pool size

    from sentinel.sandbox.runtime.datasets import DataInvalid
    from sentinel.sandbox.runtime.loader import ModelLoadError, build_hook, build_model, load_dataset
    from sentinel.sandbox.runtime.trainer import Trainer, TrainingFailed, seed_everything

    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # already fixed when main() runs twice in one process
        torch.set_num_interop_threads(1)
    trainer_cfg = config["trainer"]
    seed_everything(config["experiment"]["seed"], trainer_cfg["deterministic"])
    try:
        data = load_dataset(config["dataset"], args.data)
    except (DataInvalid, OSError, ValueError, KeyError) as err:
        return fail("data_error", f"dataset {config['dataset']['name']!r}: {err}")
    try:
        model = build_model(config["model"], data, args.generated)
        hook = build_hook(config["monitor"])
    except (ModelLoadError, ImportError, ValueError, TypeError) as err:
        return fail("exception", str(err).splitlines()[0] if str(err) else type(err).__name__)
    try:
        trainer = Trainer(
            model, data, trainer_cfg, seed=config["experiment"]["seed"], artifacts=artifacts, hook=hook
        )
    except (OSError, ValueError, RuntimeError) as err:
        return fail("exception", f"cannot start training: {type(err).__name__}: {err}")
    cpu_start = time.process_time()
    try:
        result = trainer.run()
    except TrainingFailed as err:
        result = err.result
        cause = err.__cause__
        print(f"error: training failed: {type(cause).__name__}: {cause}", file=sys.stderr)
        traceback.print_exception(cause, limit=8, file=sys.stderr)
    write_summary(artifacts, result.summary())
    cpu = time.process_time() - cpu_start  # with wall seconds, tells contention from slowness
    rate = result.steps / result.seconds if result.seconds > 0 else 0.0
    print(
        f"sentinel-runtime: status={result.status} reason={result.reason} epochs={result.epochs} "
        f"steps={result.steps} seconds={result.seconds:.2f} cpu_seconds={cpu:.2f} steps_per_s={rate:.1f} "
        f"threads={threads} "
        f"checkpoint={result.checkpoint.reason} checkpoint_bytes={result.checkpoint.bytes} "
        f"metrics_truncated={result.metrics_truncated} events_dropped={result.events_dropped}",
        flush=True,
    )
    return EXIT_CODES.get(result.status, EXIT_FAILED)


def _read_config(path: Path) -> str:
    with path.open("rb") as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(f"larger than {MAX_CONFIG_BYTES} bytes")
    return data.decode("utf-8")


if __name__ == "__main__":
    sys.exit(main())
