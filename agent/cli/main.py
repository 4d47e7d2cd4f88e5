"""`sentinel`: one typer app joining one module per command group (typer's one-file-per-command)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sentinel",
    help="Autonomous ML experiment campaigns in hardened, network-less containers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Each command module owns its group; add one line per module.
    from sentinel.agent.cli import (
        campaign,
        cluster,
        dashboard,
        data,
        doctor,
        images,
        review,
        sandbox,
        validate,
    )
    from sentinel.agent.cli.monitor import app as monitor_app

    app.add_typer(images.app, name="images")
    app.add_typer(data.app, name="data")
    app.add_typer(sandbox.app, name="sandbox")
    app.add_typer(campaign.app, name="campaign")
    app.add_typer(review.app, name="review")
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(cluster.app, name="cluster")
    app.command("doctor")(doctor.doctor)
    app.command("validate")(validate.validate)
    app.command("dashboard")(dashboard.dashboard)


def main() -> None:
    """Run the CLI; a usage error (bad option value, unknown option) is one `error:` line, exit 2,
    instead of click's multi-line usage box: scripts and people read the same single line."""
    import sys

    import click

    try:  # typer >= 0.20 carries its own copy of click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as cx

    _register()
    try:
        code = app(standalone_mode=False)
    except cx.NoArgsIsHelpError as err:
        err.show()  # a bare group: its help, as before
        sys.exit(err.exit_code)
    except cx.UsageError as err:
        message = " ".join(err.format_message().split())[:500]
        click.echo(f"error: {message} (see --help)", err=True)
        sys.exit(2)
    except cx.ClickException as err:
        click.echo(f"error: {' '.join(err.format_message().split())[:500]}", err=True)
        sys.exit(err.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
