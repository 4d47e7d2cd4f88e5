"""What trusted results cost: a default ppg_hr run with and without the evaluation container,
interleaved in one run and reported as a ratio of medians; plus the array-protocol guard's cost
on the training loop (the real Trainer on a generated model, guarded vs unguarded, interleaved).

    .venv/bin/python scripts/bench_trusted_eval.py [--repeats 3] [--guard-repeats 5]

The first figure is end to end as a campaign sees it (per-run image, training container,
artifact read-back, evaluation layer and container, prediction read-back, scoring, clean-up).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import types
from pathlib import Path

import torch

from sentinel.agent.launch import LaunchRequest, launch_run, resolve_request
from sentinel.contract.config import validate_config
from sentinel.sandbox.paths import DATA_DIR
from sentinel.sandbox.runtime.datasets import ArrayDataset
from sentinel.sandbox.runtime.loader import guard_array_protocols
from sentinel.sandbox.runtime.trainer import Trainer, seed_everything

GENERATED = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, input_shape, output_dim):
        super().__init__()
        size = 1
        for d in input_shape:
            size *= d
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(size, 64), nn.ReLU(), nn.Linear(64, output_dim))

    def forward(self, x):
        return self.body(x)
"""


def run_once(trusted: bool, out_root: Path, index: int) -> float:
    started = time.perf_counter()
    request = LaunchRequest(
        experiment="ppg_hr",
        out_dir=out_root / f"run{index}-{int(trusted)}",
        campaign="bench",
        trusted_evaluation=trusted,
    )
    outcome = launch_run(resolve_request(request), request)
    if outcome.status != "completed":
        raise SystemExit(f"run failed: {outcome.status} {outcome.reason}")
    if trusted and (outcome.result is None or outcome.result.trusted is None):  # type: ignore[attr-defined]
        raise SystemExit("the trusted run has no trusted metrics")
    return time.perf_counter() - started


def steps_per_second(guarded: bool, steps: int) -> float:
    module = types.ModuleType("generated.bench")
    exec(compile(GENERATED, "bench.py", "exec"), module.__dict__)  # the bench's own source
    if guarded:
        guard_array_protocols(module)
    cfg = validate_config(
        {
            "experiment": {"name": "bench", "seed": 0},
            "dataset": {"_target_": "sentinel.sandbox.runtime.datasets.ArrayDataset", "name": "ppg_hr"},
            "model": {"_target_": "sentinel.sandbox.runtime.models.mlp.MLP"},
            "trainer": {
                "_target_": "sentinel.sandbox.runtime.trainer.Trainer",
                "max_steps": steps,
                "epochs": 50,
            },
            "monitor": {"enabled": False},
        }
    )
    seed_everything(0, False)
    data = ArrayDataset(DATA_DIR, "ppg_hr")
    model = module.Net(data.input_shape, data.output_dim)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model, data, cfg["trainer"], seed=0, artifacts=Path(tmp))
        started = time.process_time()
        result = trainer.run()
        return result.steps / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--guard-repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        plain, trusted = [], []
        for i in range(args.repeats):  # interleaved, so drift in machine load hits both alike
            plain.append(run_once(False, Path(tmp), i))
            trusted.append(run_once(True, Path(tmp), i))
    p, t = statistics.median(plain), statistics.median(trusted)
    print(f"default ppg_hr run, median of {args.repeats}: without evaluation {p:.2f} s, with {t:.2f} s")
    print(f"trusted evaluation wall-time ratio: {t / p:.3f} (+{(t / p - 1) * 100:.1f}%)")
    off, on = [], []
    for _ in range(args.guard_repeats):
        off.append(steps_per_second(False, args.steps))
        on.append(steps_per_second(True, args.steps))
    a, b = statistics.median(off), statistics.median(on)
    print(
        f"array-protocol guard: {a:.0f} vs {b:.0f} steps per CPU-second, ratio guarded/unguarded {b / a:.4f}"
    )


if __name__ == "__main__":
    main()
