"""The only place where errors become exit codes and one line on stderr (DESIGN.md exit codes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_PAUSED = 0, 1, 2, 3, 4


def _sentinel_errors() -> tuple[type[BaseException], ...]:
    """Every package's error root. The validator's is taken only once the validator is loaded
    (importing it pulls in libcst: ~0.4 s that a refused option must not cost); an error of
    a package that was never imported cannot have been raised."""
    import sys

    from sentinel.agent.errors import AgentError
    from sentinel.sandbox.errors import SandboxError

    roots: list[type[BaseException]] = [AgentError, SandboxError]
    validator = sys.modules.get("sentinel.validator.errors")
    if validator is not None:
        roots.append(validator.ValidatorError)
    return tuple(roots)


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Turn a Sentinel error into `error: <message>` on stderr and its class's exit code."""
    try:
        yield
    except Exception as err:
        if not isinstance(err, _sentinel_errors()):
            raise
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(getattr(err, "exit_code", EXIT_FAILED)) from None
