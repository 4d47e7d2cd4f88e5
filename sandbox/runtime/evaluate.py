"""Evaluation entrypoint: `python -m sentinel.sandbox.runtime.evaluate`.

Runs in its own container, from the run's own image (its code; no targets), with `/data`
read-only (the test split's inputs, never its targets) and a fresh `/artifacts`. It starts
beside the training container, loads the data and builds the model, then waits (`--wait`) for
the host to put the run's best checkpoint into `/artifacts`, so only the forward passes are left
once training ends. It loads the weights with
`torch.load(weights_only=True)` through `nn.Module.load_state_dict` (never an override), and
writes the model's raw outputs on the val and test inputs as plain `.npy` files:

    /artifacts/<split>.output.npy     float32 (n, k): logits, or the regression output column
    /artifacts/<split>.mu.npy         float32 (n, d): VAE only, when forward returns a triple
    /artifacts/<split>.logvar.npy     float32 (n, d)

The host scores them against targets it holds itself (`sentinel.sandbox.trusted`). Nothing
here decides a metric: a process that imported generated code can write any bytes, and the
host reads these files as hostile input. Exit codes: 0 written, 1 failed, 2 bad config.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sentinel.contract.config import ConfigInvalid, load_yaml, validate_config
from sentinel.sandbox.runtime.__main__ import _THREAD_VARS, _read_config, cpu_budget
from sentinel.sandbox.runtime.loader import build_model, load_dataset
from sentinel.sandbox.runtime.supervisor import make_undumpable
from sentinel.sandbox.runtime.trainer import seed_everything

EXIT_OK, EXIT_FAILED, EXIT_BAD_CONFIG = 0, 1, 2
POLL_S = 0.02
MAX_CHECKPOINT_BYTES = 512 * 1024 * 1024


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sentinel.sandbox.runtime.evaluate", description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("/job/config.yaml"))
    parser.add_argument("--checkpoint", type=Path, default=Path("/job/checkpoint.pt"))
    parser.add_argument("--data", type=Path, default=Path("/data"))
    parser.add_argument("--artifacts", type=Path, default=Path("/artifacts"))
    parser.add_argument("--generated", type=Path, default=Path("/job/generated"))
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="Seconds to wait for the checkpoint (0: it must exist).",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    sys.dont_write_bytecode = True
    make_undumpable()
    args = _parse(argv)
    threads = cpu_budget()
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    try:
        config = validate_config(load_yaml(_read_config(args.config)))
    except (ConfigInvalid, OSError, UnicodeDecodeError) as err:
        print(f"error: bad config {args.config}: {err}", file=sys.stderr)
        return EXIT_BAD_CONFIG

    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    seed_everything(config["experiment"]["seed"], config["trainer"]["deterministic"])
    try:
        data = load_dataset(config["dataset"], args.data, train=False)
        model = build_model(config["model"], data, args.generated)
        _await(args.checkpoint, args.wait)  # started beside the training run: ready before it ends
        _load_weights(model, args.checkpoint)
        batch = int(config["trainer"]["eval_batch_size"])
        for split, inputs in (("val", data.val.x), ("test", data.test_inputs)):
            for part, array in predict(model, inputs, batch).items():
                _save(args.artifacts / f"{split}.{part}.npy", array)
    except Exception as err:  # generated code can raise anything: one line, exit 1, never a traceback
        print(f"error: evaluation failed: {type(err).__name__}: {str(err)[:200]}", file=sys.stderr)
        return EXIT_FAILED
    print("sentinel-evaluate: predictions written", flush=True)
    return EXIT_OK


def _await(path: Path, seconds: float) -> None:
    """Poll for `path` (the host renames it into place whole) for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(POLL_S)


def _load_weights(model: torch.nn.Module, checkpoint: Path) -> None:
    if checkpoint.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise ValueError("checkpoint is larger than the evaluation accepts")
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = saved.get("model") if isinstance(saved, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("checkpoint holds no model state of tensors")
    torch.nn.Module.load_state_dict(model, state, strict=True)


def predict(model: torch.nn.Module, inputs: torch.Tensor, batch_size: int) -> dict[str, np.ndarray]:
    """The model's outputs on `inputs` in eval mode, as float32 numpy arrays by part name."""
    torch.nn.Module.eval(model)
    parts: dict[str, list[np.ndarray]] = {}
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            x = inputs[start : start + batch_size].clone()
            out = model(x)
            named = _named_outputs(out, len(x))
            for name, tensor in named.items():
                parts.setdefault(name, []).append(tensor.detach().to(torch.float32).numpy().copy())
    return {name: np.ascontiguousarray(np.concatenate(chunks)) for name, chunks in parts.items()}


def _named_outputs(out: object, n: int) -> dict[str, torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return {"output": out.reshape(n, -1)}
    if isinstance(out, tuple | list) and len(out) == 3 and all(isinstance(t, torch.Tensor) for t in out):
        logits, mu, logvar = out
        return {"output": logits.reshape(n, -1), "mu": mu.reshape(n, -1), "logvar": logvar.reshape(n, -1)}
    raise TypeError(f"model returned {type(out).__name__}, not a tensor or a (logits, mu, logvar) triple")


def _save(path: Path, array: np.ndarray) -> None:
    with path.open("xb") as f:
        np.save(f, array, allow_pickle=False)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the files are closed; skip torch's interpreter teardown (a fraction of a second)
