"""Sentinel's in-loop monitor in your own PyTorch loop: the four marked lines are all it takes.

Run: python examples/own_loop.py [--fault lr_spike|grad_explosion|nan|none] [--events FILE]

A small MLP learns a synthetic regression task. At step 300 a fault is injected on purpose (by
default the learning rate is multiplied by 100, a classic mis-set LR), and the monitor sees the
LR leave its schedule at that very step and cuts it back before the optimizer uses it. The
same run without the monitor is printed for comparison.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import sentinel.monitor  # (1) import


def train(fault: str, monitored: bool, events: Path | None = None, steps: int = 600) -> float:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2048, 16, generator=g)
    y = torch.sin(x @ torch.randn(16, 1, generator=g)) + 0.05 * torch.randn(2048, 1, generator=g)
    model = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    mon = sentinel.monitor.attach(model, optimizer, events=events) if monitored else None  # (2) attach

    for step in range(steps):
        batch = torch.randint(0, len(x), (32,))
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
        if fault == "nan" and step == 300:
            loss = loss * float("nan")
        loss.backward()
        if fault == "grad_explosion" and 300 <= step < 305:
            for p in model.parameters():
                p.grad.mul_(1e4)
        if fault == "lr_spike" and step == 300:
            for group in optimizer.param_groups:
                group["lr"] *= 100.0
        if mon is None or mon.check(loss):  # (3) ask before stepping
            optimizer.step()
        if mon is not None and mon.stopped:  # (4) the monitor gave up: the run diverged
            break

    if mon is not None:
        mon.close()  # optional: records the outcome of interventions still being measured
        for event in mon.events:
            print("  monitor:", json.dumps(event, sort_keys=True))
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(model(x), y))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fault", default="lr_spike", choices=["lr_spike", "grad_explosion", "nan", "none"])
    parser.add_argument("--events", type=Path, default=None, help="also append events to this jsonl file")
    args = parser.parse_args(argv)
    watched = train(args.fault, monitored=True, events=args.events)
    unwatched = train(args.fault, monitored=False)
    print(f"fault={args.fault}: final loss with the monitor {watched:.4f}, without {unwatched:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
