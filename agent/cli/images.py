"""`sentinel images build`: the runtime image, rebuilt only when its inputs' hash changes."""

from __future__ import annotations

import typer

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console, emit_json, err_console

app = typer.Typer(help="Runtime images.", no_args_is_help=True)


@app.command("build")
def build(
    base: str = typer.Option(None, "--base", help="Base image for the Dockerfile route (needs a registry)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the tag exists."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Build the runtime image (air-gapped debootstrap route unless --base is given)."""
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.images import ensure_runtime_image

    with mapped_errors(), err_console.status("building images", spinner="dots") as status:
        ref = ensure_runtime_image(
            Engine(), base=base, force=force, progress=lambda m: status.update(f"[cyan]{m}")
        )
    if as_json:
        emit_json(
            {"tag": ref.tag, "image_id": ref.image_id, "built": ref.built, "seconds": round(ref.seconds, 2)}
        )
    else:
        verb = "built" if ref.built else "up to date"
        console.print(f"{ref.tag} {verb} ({ref.seconds:.1f} s)")
