"""Trainer steps per second for mlp and cnn1d on ppg_hr: in the hardened container vs as a host
subprocess, side by side in one run (interleaved), medians, reported as ratios.

    .venv/bin/python scripts/bench_trainer_throughput.py [--repeats 3] [--epochs 2]

Both sides run the same resolved config with one CPU thread; the rate is the runtime's own
`steps_per_s` (training loop only, validation included), read from its last stdout line.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
from pathlib import Path

from bench_sandbox_overhead import run_on_host  # scripts/ is sys.path[0] when run as a script

from sentinel.agent.configs import compose
from sentinel.agent.launch import LaunchRequest, launch_run, resolve_request
from sentinel.sandbox.paths import CONFIGS_DIR

RATE = re.compile(r"sentinel-runtime: .*steps_per_s=([0-9.]+)")


def _rate(text: str) -> float:
    found = RATE.findall(text)
    if not found:
        raise SystemExit(f"no steps_per_s line in the runtime's output:\n{text[-800:]}")
    return float(found[-1])


def host_rate(config_text: str) -> float:
    return _rate(run_on_host(config_text)[1])


def container_rate(overrides: tuple[str, ...], out: Path) -> float:
    request = LaunchRequest(experiment="ppg_hr", overrides=overrides, out_dir=out, campaign="bench")
    outcome = launch_run(resolve_request(request), request)
    if outcome.status != "completed":
        raise SystemExit(f"container run ended {outcome.status}: {outcome.reason}")
    return _rate((out / "stdout.log").read_text(errors="replace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"ppg_hr, {args.epochs} epochs, monitor on, 1 CPU thread, {args.repeats} repeats (medians)")
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("mlp", "cnn1d"):
            overrides = (f"model={model}", f"trainer.epochs={args.epochs}")
            config_text = compose("ppg_hr", list(overrides), CONFIGS_DIR).to_yaml()
            host, container = [], []
            for index in range(args.repeats):
                host.append(host_rate(config_text))
                container.append(container_rate(overrides, Path(tmp) / f"{model}{index}"))
            h, c = statistics.median(host), statistics.median(container)
            print(
                f"{model:6s} host {h:8.1f} steps/s   container {c:8.1f} steps/s   container/host {c / h:.2f}"
            )


if __name__ == "__main__":
    main()
