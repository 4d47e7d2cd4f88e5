"""Build and train one step of every benign model, in a child process (run by the benign test).

Usage: python benign_runner.py '{"path": ["EntryClass", ...], ...}'  -> one JSON object on stdout,
`{path: "ok" | "<error line>"}`. The benign files are our own reviewed fixtures, never generated
code; running them in a child keeps torch state and any crash out of the pytest process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys

INPUT_SHAPE = (2, 32)
OUTPUT_DIM = 3
BATCH = 4


def run_one(path: str, entries: list[str]) -> str:
    import torch

    # The way sandbox/runtime/loader.py imports a generated model: registered in sys.modules
    # first (dataclasses resolves string annotations through it).
    qualified = f"generated.{path.rsplit('/', 1)[-1].removesuffix('.py')}"
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:
        return "cannot load"
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    if not entries:
        return "no entry point"
    for name in entries:
        torch.manual_seed(0)
        model = module.__dict__[name](INPUT_SHAPE, OUTPUT_DIM)
        if not isinstance(model, torch.nn.Module):
            return f"{name} is not an nn.Module"
        model.train()
        out = model(torch.randn(BATCH, *INPUT_SHAPE))
        if tuple(out.shape) != (BATCH, OUTPUT_DIM):
            return f"{name}: output shape {tuple(out.shape)}"
        out.pow(2).mean().backward()
        grads = [p.grad for p in torch.nn.Module.parameters(model) if p.requires_grad]
        if not grads or all(g is None for g in grads):
            return f"{name}: no gradient reached the parameters"
        if not all(torch.isfinite(g).all() for g in grads if g is not None):
            return f"{name}: non-finite gradient"
        model.eval()
        with torch.no_grad():
            if tuple(model(torch.randn(BATCH, *INPUT_SHAPE)).shape) != (BATCH, OUTPUT_DIM):
                return f"{name}: eval output shape"
    return "ok"


def main() -> None:
    todo: dict[str, list[str]] = json.loads(sys.argv[1])
    results: dict[str, str] = {}
    with contextlib.redirect_stdout(sys.stderr):  # models may print; stdout carries only the verdicts
        for path, entries in todo.items():
            try:
                results[path] = run_one(path, entries)
            except Exception as err:  # one broken fixture must not hide the others
                results[path] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
