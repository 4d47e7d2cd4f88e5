"""Container start overhead: the same short training job in the hardened container vs as a host
subprocess, median of N each, measured side by side in one run and reported as a ratio.

    .venv/bin/python scripts/bench_sandbox_overhead.py [--repeats 5] [--isolation runc]

The container figure is end to end as a user sees it (per-run image build, container create and
start, training, artifact read-back, clean-up); the container-only part is shown beside it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sentinel.agent.configs import compose
from sentinel.agent.launch import LaunchRequest, launch_run, resolve_request
from sentinel.sandbox.engine import Engine
from sentinel.sandbox.images import ensure_runtime_image
from sentinel.sandbox.paths import CONFIGS_DIR, DATA_DIR

JOB = ("ppg_hr", ("model=mlp", "trainer.epochs=1"))


def run_on_host(config_text: str) -> tuple[float, str]:
    """The runtime entrypoint as a plain host subprocess on `config_text`: (seconds, its output)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(config_text)
        (Path(tmp) / "artifacts").mkdir()
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "sentinel.sandbox.runtime", "--config", str(config),
             "--data", str(DATA_DIR), "--artifacts", str(Path(tmp) / "artifacts"),
             "--generated", str(Path(tmp) / "generated")],
            check=True, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "SENTINEL_CPUS": "1"},
        )  # fmt: skip
        return time.perf_counter() - started, proc.stdout + proc.stderr


def host_subprocess_once(config_text: str) -> float:
    return run_on_host(config_text)[0]


def container_once(isolation: str, out_root: Path, index: int) -> tuple[float, float]:
    started = time.perf_counter()
    request = LaunchRequest(
        experiment=JOB[0],
        overrides=JOB[1],
        isolation=isolation,
        out_dir=out_root / f"run{index}",
        campaign="bench",
    )
    outcome = launch_run(resolve_request(request), request)
    total = time.perf_counter() - started
    if outcome.status != "completed":
        raise SystemExit(f"container run {index} ended {outcome.status}: {outcome.reason}")
    return total, outcome.result.seconds  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--isolation", default="runc", choices=["runc", "gvisor"])
    args = parser.parse_args()

    engine = Engine()
    warm_started = time.perf_counter()
    ref = ensure_runtime_image(engine)
    warm_image_s = time.perf_counter() - warm_started
    config_text = compose(JOB[0], list(JOB[1]), CONFIGS_DIR).to_yaml()
    host_times, total_times, container_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.repeats):  # interleaved, so machine noise hits both sides alike
            host_times.append(host_subprocess_once(config_text))
            total, inside = container_once(args.isolation, Path(tmp), index)
            total_times.append(total)
            container_times.append(inside)
    host, total, inside = (statistics.median(t) for t in (host_times, total_times, container_times))
    print(f"job: {JOB[0]} {' '.join(JOB[1])}, {args.repeats} repeats, isolation {args.isolation}")
    print(f"runtime image {ref.tag}: {'built' if ref.built else 'cached'} in {warm_image_s:.2f} s")
    print(f"host subprocess          median {host:6.2f} s")
    print(f"container, end to end    median {total:6.2f} s   ratio {total / host:.2f}x")
    print(f"container, run only      median {inside:6.2f} s   ratio {inside / host:.2f}x")


if __name__ == "__main__":
    main()
