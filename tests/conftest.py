"""Shared fixtures: a real engine, the real runtime image, and a hardened payload runner.

Tests that need Docker run for real. Where the engine is absent they skip loudly on a
developer's machine, but fail under CI (CI=true): CI always has every capability, because
`make test` starts the engine and builds the image before pytest runs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(capability: str) -> None:
    message = f"CAPABILITY MISSING: {capability} (run `make test`, which sets it up)"
    if IN_CI:
        pytest.fail(message + " -- CI must have every capability", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def engine():
    from sentinel.sandbox.engine import Engine

    eng = Engine()
    if not eng.ping():
        _missing("a running Docker engine")
    return eng


@pytest.fixture(scope="session")
def runtime_image(engine) -> str:
    from sentinel.sandbox.images import ensure_runtime_image

    return ensure_runtime_image(engine).tag


@pytest.fixture(scope="session")
def gvisor(engine) -> str:
    if "runsc" not in engine.runtimes():
        _missing("the gVisor runtime (runsc) registered with the engine")
    return "gvisor"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    from sentinel.sandbox.data import verify
    from sentinel.sandbox.paths import DATA_DIR

    if verify(DATA_DIR):
        _missing(f"prepared datasets in {DATA_DIR} (`sentinel data prepare`)")
    return DATA_DIR


@pytest.fixture
def empty_data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o755)
    tmp_path.chmod(0o755)
    return folder


RunPayload = Callable[..., "object"]


@pytest.fixture
def run_payload(engine, runtime_image, empty_data_dir, tmp_path) -> Iterator[RunPayload]:
    """Run `python -c CODE` in the fully hardened container (same spec as a training run)."""
    from sentinel.sandbox.run import run_container
    from sentinel.sandbox.spec import RunLimits, RunSpec

    def run(code: str, isolation: str = "runc", on_poll=None, **limits) -> object:
        run_id = f"test-{secrets.token_hex(4)}"
        spec = RunSpec(
            run_id=run_id,
            image=runtime_image,
            data_dir=empty_data_dir,
            isolation=isolation,
            limits=RunLimits(**{"timeout_s": 60.0, **limits}),
            command=("python", "-c", code),
        )
        return run_container(engine, spec, tmp_path / run_id, on_poll=on_poll)

    yield run
