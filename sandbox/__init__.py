"""The host's sandbox: one hardened container per run, and the hostile reader of what it wrote.

Public names (loaded on first use, so `sentinel.sandbox.runtime`, which runs inside the
container where docker is not installed, never pulls in the engine):

- `Engine`: the only code that talks to Docker; `RunSpec`/`RunLimits`: what to run and within
  which limits; `run_container`: one container's whole life, returning a
  `sentinel.contract.RunResult`; `reap_orphans`: removes what a killed host left behind;
- `read_artifacts`: the hostile-input reader (see `sentinel.sandbox.artifacts`);
- `SandboxError`: the root of this package's errors (`sentinel.sandbox.errors`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentinel.sandbox.artifacts import read_artifacts
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.errors import SandboxError
    from sentinel.sandbox.run import reap_orphans, run_container
    from sentinel.sandbox.spec import RunLimits, RunSpec

__all__ = [
    "Engine",
    "RunLimits",
    "RunSpec",
    "SandboxError",
    "read_artifacts",
    "reap_orphans",
    "run_container",
]

_LAZY = {
    "Engine": "sentinel.sandbox.engine",
    "RunLimits": "sentinel.sandbox.spec",
    "RunSpec": "sentinel.sandbox.spec",
    "SandboxError": "sentinel.sandbox.errors",
    "reap_orphans": "sentinel.sandbox.run",
    "read_artifacts": "sentinel.sandbox.artifacts",
    "run_container": "sentinel.sandbox.run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sentinel.sandbox' has no attribute {name!r}")
