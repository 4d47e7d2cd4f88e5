"""The only place where errors become exit codes and one line on stderr (DESIGN.md exit codes).

Three kinds of failure reach a user, all translated here: a Sentinel error (`mapped_errors`,
or `@mapped` around a whole command: `error: <message>` and the class's `exit_code`), a
usage error typer/click found before a command ran (`run_app`: one `error:` line, exit 2,
instead of click's usage box), and a command's own verdict on work that ran (a failed run,
an unjudgeable bench), which commands state by raising a Sentinel error or `typer.Exit(EXIT_*)`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_PAUSED = 0, 1, 2, 3, 4
MAX_USAGE_CHARS = 500

F = TypeVar("F", bound=Callable[..., Any])


def _sentinel_errors() -> tuple[type[BaseException], ...]:
    """Every package's error root. The validator's is taken only once the validator is loaded
    (importing it pulls in libcst: ~0.4 s that a refused option must not cost); an error of
    a package that was never imported cannot have been raised."""
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


def mapped(command: F) -> F:
    """A whole command under `mapped_errors` (typer reads the wrapped signature)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mapped_errors():
            return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def run_app(app: typer.Typer) -> None:
    """Run the CLI and exit with its code; a usage error (bad option value, unknown option) is
    one `error:` line, exit 2, so scripts and people read the same single line."""
    try:  # typer >= 0.20 carries its own copy of click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as cx

    try:
        code = app(standalone_mode=False)
    except cx.NoArgsIsHelpError as err:
        err.show()  # a bare group: its help, as before
        sys.exit(err.exit_code)
    except cx.UsageError as err:
        message = " ".join(err.format_message().split())[:MAX_USAGE_CHARS]
        typer.echo(f"error: {message} (see --help)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except cx.ClickException as err:
        typer.echo(f"error: {' '.join(err.format_message().split())[:MAX_USAGE_CHARS]}", err=True)
        sys.exit(err.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
