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
    """Run the CLI; errors and usage errors become exit codes in `_exit.py` alone."""
    from sentinel.agent.cli._exit import run_app

    _register()
    run_app(app)


if __name__ == "__main__":
    main()
