"""`sentinel cluster start|stop`: this machine as a node of a Ray cluster (docs/scale-out.md).

`start` runs `sentinel doctor` first and starts nothing unless it is green, so only a machine
that can run hardened containers advertises `sentinel_docker` slots; `stop` runs `ray stop` and
then the sandbox's reaper, so runs that were in flight here leave nothing behind.
"""

from __future__ import annotations

import typer

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console

app = typer.Typer(help="This machine as a node of a Ray cluster (--executor ray).", no_args_is_help=True)


@app.command("start")
def start(
    address: str = typer.Option(None, "--address", help="Join the head at host:port; omit to start a head."),
    ip: str = typer.Option("127.0.0.1", "--ip", help="The private interface every Ray port binds to."),
    port: int = typer.Option(6379, "--port", help="A head's GCS port."),
    cpus: int = typer.Option(1, "--cpus", help="CPUs this node offers to runs."),
    slots: int = typer.Option(
        1, "--slots", help="Runs at once here (sentinel_docker); 0: a head that runs none."
    ),
) -> None:
    """Start a Ray node here once `sentinel doctor` is green; the dashboard stays off."""
    from sentinel.agent.executors.cluster import start_node

    with mapped_errors():
        output = start_node(address, ip=ip, cpus=cpus, slots=slots, port=port)
    console.print(output, markup=False, highlight=False)


@app.command("stop")
def stop(force: bool = typer.Option(False, "--force", help="SIGKILL Ray's processes.")) -> None:
    """`ray stop` here, then remove what runs in flight left (containers, run images, volumes)."""
    from sentinel.agent.executors.cluster import stop_node

    with mapped_errors():
        reaped = stop_node(force)
    console.print(f"ray stopped; cleaned up {len(reaped)} container(s) or volume(s) of runs in flight")
