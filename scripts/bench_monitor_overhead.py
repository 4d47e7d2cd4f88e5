"""Monitor overhead: steps per CPU-second with and without the monitor, in one process and one run.

Usage: python scripts/bench_monitor_overhead.py [--data DIR] [--blocks 60] [--block 50] [--repeats 3]

The figure the monitor's 1% target is about ("trainer"): the built-in `Trainer` trains `ppg_hr`
with `model=mlp` exactly as a container run would (real data, real config, one thread), and the
monitor is switched on and off in alternating blocks of `--block` steps of that same run: the
trainer's `hook` is the `MonitorHook` for one block and None (the unmonitored code path) for the
next. Each block's CPU time (time.process_time) gives its steps per CPU-second; the overhead is
the ratio of the two arms' medians. The CPU time of validation passes is not counted. The
monitor's decisions depend on steps and values only (no clock), so hiding every other block from
it needs no reset between arms. The same run is then repeated with both arms unmonitored:
that A/A ratio is the noise floor. Because the two arms share one run, they share its data,
allocator and cache state, and any drift of the machine hits both alike.

A second figure ("attach") times the four-line integration in a plain loop (`mon.check(loss)`),
where the monitor also pays for the global gradient norm a plain loop would not compute.

It also reports the share of the monitored blocks' CPU time spent inside the monitor's own hook
calls, timed directly around them. No timed assertion exists in the tests; this prints figures.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentinel.agent.configs.compose import compose
from sentinel.monitor import MonitorHook, attach, build_trainer_hook
from sentinel.sandbox.paths import CONFIGS_DIR, DATA_DIR
from sentinel.sandbox.runtime.loader import build_model, load_dataset
from sentinel.sandbox.runtime.models.mlp import MLP
from sentinel.sandbox.runtime.trainer import Trainer, seed_everything


class _Timed(MonitorHook):
    """The monitor hook with its own per-step calls timed (CPU seconds), for the 'inside' figure."""

    inside = 0.0

    def after_backward(self, ctl, signals) -> None:  # type: ignore[no-untyped-def]
        t0 = time.process_time()
        super().after_backward(ctl, signals)
        self.inside += time.process_time() - t0

    def after_step(self, ctl, signals) -> None:  # type: ignore[no-untyped-def]
        t0 = time.process_time()
        super().after_step(ctl, signals)
        self.inside += time.process_time() - t0


class _Alternator:
    """Wraps `Trainer._train_step` to switch `trainer.hook` between two arms every `block` steps
    and record each clean block's steps per CPU-second. Both arms pay this same thin wrapper."""

    def __init__(self, trainer: Trainer, arms: dict[str, Any], block: int) -> None:
        self.trainer, self.arms, self.block = trainer, arms, block
        self.names = list(arms)
        self.rates: dict[str, list[float]] = {name: [] for name in self.names}
        self.cpu: dict[str, float] = dict.fromkeys(self.names, 0.0)
        self.steps = 0
        self.current = self.names[0]
        self.t0 = time.process_time()
        self._step, self._validate = trainer._train_step, trainer._validate
        trainer._train_step, trainer._validate = self._train_step, self._validate_marked  # type: ignore[method-assign]
        trainer.hook = arms[self.current]

    def _validate_marked(self, epoch_end: bool) -> None:
        t0 = time.process_time()  # a validation pass is not a training step: not counted
        self._validate(epoch_end)
        self.t0 += time.process_time() - t0

    def _train_step(self, indices: torch.Tensor) -> None:
        if self.steps and self.steps % self.block == 0:
            now = time.process_time()
            if self.steps > self.block:  # the first block warms caches up
                self.rates[self.current].append(self.block / (now - self.t0))
                self.cpu[self.current] += now - self.t0
            index = (self.steps // self.block) % len(self.names)
            self.current = self.names[index]
            self.trainer.hook = self.arms[self.current]
            self.t0 = time.process_time()
        self.steps += 1
        self._step(indices)


def _trainer(data_dir: Path, steps: int, workdir: Path) -> tuple[Trainer, dict[str, Any]]:
    overrides = ["model=mlp", f"trainer.max_steps={steps}", "trainer.epochs=1000"]
    config = compose("ppg_hr", overrides, CONFIGS_DIR).config
    seed_everything(config["experiment"]["seed"], config["trainer"]["deterministic"])
    data = load_dataset(config["dataset"], data_dir)
    model = build_model(config["model"], data, workdir)
    trainer = Trainer(model, data, config["trainer"], seed=0, artifacts=workdir, hook=None)
    return trainer, config


def measure_trainer(data_dir: Path, blocks: int, block: int, monitored: bool) -> dict[str, float]:
    """One run of `2 x blocks` blocks; the "on" arm has the monitor when `monitored`."""
    with tempfile.TemporaryDirectory(prefix="sentinel-overhead-") as tmp:
        trainer, config = _trainer(data_dir, (2 * blocks + 2) * block, Path(tmp))
        hook = build_trainer_hook(config["monitor"]) if monitored else None
        if hook is not None:
            timed = _Timed(hook.config)
            hook = timed
        alternator = _Alternator(trainer, {"on": hook, "off": None}, block)
        trainer.run()
        on, off = alternator.rates["on"], alternator.rates["off"]
        pairs = [a / b for a, b in zip(on, off, strict=False)]
        return {
            "on": statistics.median(on),
            "off": statistics.median(off),
            "ratio": statistics.median(on) / statistics.median(off),
            "paired": statistics.median(pairs),
            "blocks": min(len(on), len(off)),
            "inside": (hook.inside / alternator.cpu["on"]) if hook is not None else math.nan,
            # run-quality reports (action "none") change nothing: listed apart from interventions
            "interventions": sum(d["action"] != "none" for d in hook.decisions) if hook is not None else 0,
            "reports": sum(d["action"] == "none" for d in hook.decisions) if hook is not None else 0,
        }


def measure_attach(data_dir: Path, rounds: int, block: int) -> dict[str, float]:
    """A plain loop with and without `mon.check(loss)`, alternating blocks of two identical arms."""
    with np.load(data_dir / "ppg_hr" / "train.npz", allow_pickle=False) as npz:
        x = torch.from_numpy(npz["x"].astype(np.float32))
        y = torch.from_numpy(npz["y"].astype(np.float32)).reshape(-1, 1)
    y = (y - y.mean()) / y.std()
    arms = {}
    for name in ("plain", "attach"):
        torch.manual_seed(1)
        model = MLP(tuple(x.shape[1:]), 1, hidden=128, depth=2)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
        mon = attach(model, opt) if name == "attach" else None
        arms[name] = (model, opt, mon, torch.Generator().manual_seed(1))
    rates: dict[str, list[float]] = {"plain": [], "attach": []}
    for i in range(rounds + 1):
        for name in ("plain", "attach") if i % 2 == 0 else ("attach", "plain"):
            model, opt, mon, gen = arms[name]
            t0 = time.process_time()
            for _ in range(block):
                idx = torch.randint(0, x.shape[0], (64,), generator=gen)
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
                loss.backward()
                if mon is None:
                    float(loss.detach())
                    opt.step()
                elif mon.check(loss):
                    opt.step()
            if i:  # round 0 warms up
                rates[name].append(block / (time.process_time() - t0))
    return {"ratio": statistics.median(rates["attach"]) / statistics.median(rates["plain"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="prepared data folder (uses ppg_hr)")
    parser.add_argument("--blocks", type=int, default=60, help="blocks per arm and run")
    parser.add_argument("--block", type=int, default=50, help="steps per block")
    parser.add_argument("--repeats", type=int, default=3, help="monitored runs (and as many A/A runs)")
    args = parser.parse_args(argv)
    if not (args.data / "ppg_hr" / "train.npz").is_file():
        parser.error(f"no prepared ppg_hr data in {args.data}: run `sentinel data prepare`")
    torch.set_num_threads(1)
    print(
        f"ppg_hr, model=mlp, the experiment's trainer (AdamW, batch 64), 1 thread; {args.blocks} "
        f"blocks of {args.block} steps per arm, monitor switched on/off block by block in one run"
    )
    for i in range(args.repeats):
        floor = measure_trainer(args.data, args.blocks, args.block, monitored=False)
        r = measure_trainer(args.data, args.blocks, args.block, monitored=True)
        print(
            f"run {i + 1}: unmonitored {r['off']:.1f} steps/CPU-s, monitored {r['on']:.1f}; ratio of "
            f"medians {r['ratio']:.4f} (overhead {100 * (1 / r['ratio'] - 1):+.2f}%), median paired "
            f"ratio {r['paired']:.4f}; A/A noise floor {floor['ratio']:.4f}; inside the monitor's "
            f"calls {100 * r['inside']:.2f}% of monitored CPU time; {r['blocks']} blocks per arm; "
            f"interventions {r['interventions']}, run-quality reports {r['reports']}"
        )
    a = measure_attach(args.data, args.blocks, args.block)
    print(
        f"attach (plain loop, the monitor also computes the grad norm): ratio {a['ratio']:.4f} "
        f"(overhead {100 * (1 / a['ratio'] - 1):+.2f}%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
