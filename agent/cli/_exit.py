"""The only place where errors become exit codes and one line on stderr (DESIGN.md exit codes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_PAUSED = 0, 1, 2, 3, 4


def _sentinel_errors() -> tuple[type[BaseException], ...]:
    """Every package's error root; imported lazily so a CLI command loads only what it uses."""
    from sentinel.agent.errors import AgentError

    roots: list[type[BaseException]] = [AgentError]
    try:
        from sentinel.sandbox.errors import SandboxError

        roots.append(SandboxError)
    except ImportError:  # pragma: no cover - sandbox is always installed with the host
        pass
    try:
        from sentinel.validator.errors import ValidatorError

        roots.append(ValidatorError)
    except ImportError:
        pass
    return tuple(roots)


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Turn a Sentinel error into `error: <message>` on stderr and its class's exit code."""
    roots = _sentinel_errors()
    try:
        yield
    except roots as err:  # type: ignore[misc]
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(getattr(err, "exit_code", EXIT_FAILED)) from None
