"""Monitor overhead: steps/s of the same small MLP with and without the monitor, in one process.

Usage: python scripts/bench_monitor_overhead.py [--data DIR] [--rounds 21] [--block 100]

Two measurements, each as alternating blocks of `--block` steps (A B A B ...) so that machine
noise hits both arms alike; the figure is the ratio of the median steps/s of each arm:

- hook: the built-in trainer's step (forward, backward, one fused global grad norm, optimizer
  step), with and without `MonitorHook.after_backward/after_step`. The trainer measures the
  grad norm either way, so this is the monitor's own cost, the one the 1% target is about.
- attach: a plain loop, with and without `mon.check(loss)`. Here the monitor also pays for the
  grad norm itself, because a plain loop would not compute one.

Steps/s are counted per second of this process's CPU time (time.process_time, one torch
thread), which other processes on a shared machine inflate less than wall time; wall-clock
ratios are printed beside them. On a loaded machine the A/B ratio still wanders by several
percent (the script prints an A/A ratio of two identical unmonitored arms as the noise floor),
so it also prints the share of the monitored arm's CPU time spent inside the monitor's own
calls, measured directly around them, and the same figure for a no-op hook (the timing code's
own share, to subtract).

The model is the built-in MLP (hidden 128, depth 2) on ppg_hr-shaped inputs (1 x 200), batch
64, AdamW at 1e-3, one CPU thread: `--data` points at a prepared data folder to use the real
ppg_hr windows, otherwise inputs of the same shape are synthetic. No timed assertion exists in
the tests; this script prints the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from sentinel.monitor import MonitorHook, attach
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.loop import LoopControl
from sentinel.monitor.update_ratio import global_norm
from sentinel.sandbox.runtime.hooks import StepSignals, TrainerHook
from sentinel.sandbox.runtime.models.mlp import MLP

BATCH = 64


def _data(folder: Path | None) -> tuple[torch.Tensor, torch.Tensor]:
    if folder is not None:
        with np.load(folder / "ppg_hr" / "train.npz", allow_pickle=False) as npz:
            x, y = npz["x"].astype(np.float32), npz["y"].astype(np.float32)
        y = (y - y.mean()) / y.std()
        return torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2400, 1, 200, generator=g)
    return x, x.mean(dim=2) + 0.1 * torch.randn(2400, 1, generator=g)


class _Arm:
    """One model + optimizer trained block by block; `mode` picks what wraps each step."""

    def __init__(self, mode: str, x: torch.Tensor, y: torch.Tensor, seed: int) -> None:
        torch.manual_seed(seed)
        self.mode, self.x, self.y = mode, x, y
        self.model = MLP((1, 200), 1, hidden=128, depth=2)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-3, weight_decay=0.0)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.gen = torch.Generator().manual_seed(seed)
        self.step = 0
        self.inside = 0.0  # CPU seconds spent inside the monitor's own calls
        self.total = 0.0  # CPU seconds of all blocks
        self.hook = self.ctl = self.mon = None
        if mode == "hook":
            self.ctl = LoopControl(self.model, self.opt)
            self.hook = MonitorHook(MonitorConfig())
            self.hook.on_train_start(self.ctl)
        elif mode == "attach":
            self.mon = attach(self.model, self.opt)

    def block(self, steps: int) -> tuple[float, float]:
        """Train `steps` steps; return steps per CPU second and per wall-clock second."""
        x, y, model, opt = self.x, self.y, self.model, self.opt
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (BATCH,), generator=self.gen)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            self.step += 1
            if self.mode in ("trainer", "hook"):  # the built-in trainer's per-step work
                norm = global_norm([p.grad for p in self.params if p.grad is not None])
                signals = StepSignals(self.step, 0, float(loss.detach()), norm, opt.param_groups[0]["lr"])
                if self.hook is not None:
                    self.ctl.skip_this = False
                    t0 = time.process_time()
                    self.hook.after_backward(self.ctl, signals)
                    self.inside += time.process_time() - t0
                    if not self.ctl.skip_this:
                        opt.step()
                    t0 = time.process_time()
                    self.hook.after_step(self.ctl, signals)
                    self.inside += time.process_time() - t0
                else:
                    opt.step()
            elif self.mon is not None:
                t0 = time.process_time()
                go = self.mon.check(loss)
                self.inside += time.process_time() - t0
                if go:
                    opt.step()
            else:
                float(loss.detach())
                opt.step()
        spent = time.process_time() - cpu
        self.total += spent
        return steps / spent, steps / (time.perf_counter() - wall)


def measure(base: str, monitored: str, x: torch.Tensor, y: torch.Tensor, rounds: int, block: int) -> dict:
    """Alternate blocks of two fresh arms; `base == monitored` gives the A/A noise floor."""
    arms = {"a": _Arm(base, x, y, seed=1), "b": _Arm(monitored, x, y, seed=1)}
    base, monitored = "a", "b"
    for arm in arms.values():
        arm.block(block)  # warm-up: allocator, autograd graph caches, first Adam step
        arm.inside = arm.total = 0.0
    rates: dict[str, list[tuple[float, float]]] = {base: [], monitored: []}
    for i in range(rounds):
        order = (base, monitored) if i % 2 == 0 else (monitored, base)
        for name in order:
            rates[name].append(arms[name].block(block))

    def median(name: str, k: int) -> float:
        return statistics.median(r[k] for r in rates[name])

    events = 0
    if arms[monitored].hook is not None:
        events = len(arms[monitored].hook.decisions)
    elif arms[monitored].mon is not None:
        events = len(arms[monitored].mon.events)
    return {
        "plain": median(base, 0),
        "monitored": median(monitored, 0),
        "ratio": median(monitored, 0) / median(base, 0),
        "wall_ratio": median(monitored, 1) / median(base, 1),
        "inside": arms[monitored].inside / arms[monitored].total,
        "events": events,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None, help="prepared data folder (uses ppg_hr)")
    parser.add_argument("--rounds", type=int, default=21, help="blocks per arm (median taken)")
    parser.add_argument("--block", type=int, default=100, help="steps per block")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    x, y = _data(args.data)
    source = "ppg_hr" if args.data else "synthetic ppg_hr-shaped"
    print(
        f"MLP(1x200 -> 128 -> 128 -> 1), batch {BATCH}, AdamW, 1 thread, {source} data, "
        f"{args.rounds} alternating blocks of {args.block} steps per arm"
    )
    floor = measure("trainer", "trainer", x, y, args.rounds, args.block)["ratio"]
    noop = _Arm("hook", x, y, seed=1)
    noop.hook = TrainerHook()  # the same timing code around a hook that does nothing
    noop.block(args.block)
    noop.inside = noop.total = 0.0
    for _ in range(args.rounds):
        noop.block(args.block)
    print(
        f"noise floor: A/A ratio of two identical unmonitored arms {floor:.4f}; timing a no-op hook "
        f"the same way reads {100 * noop.inside / noop.total:.2f}% (subtract it from 'inside' below)"
    )
    for label, base, monitored in (
        ("hook  (trainer step, grad norm in both)", "trainer", "hook"),
        ("attach (plain loop, monitor computes grad norm)", "plain", "attach"),
    ):
        r = measure(base, monitored, x, y, args.rounds, args.block)
        overhead = (1.0 / r["ratio"] - 1.0) * 100.0
        print(
            f"{label}: unmonitored {r['plain']:.1f} steps/CPU-s, monitored {r['monitored']:.1f} "
            f"steps/CPU-s, ratio {r['ratio']:.4f} (overhead {overhead:+.2f}% of step time; wall-clock "
            f"ratio {r['wall_ratio']:.4f}); inside the monitor's calls: {100 * r['inside']:.2f}% of the "
            f"monitored arm's CPU time; interventions {r['events']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
