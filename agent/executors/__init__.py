"""Executors: where a prepared run runs (`local`: this machine; `ray`: a node of a Ray cluster).

with make_executor("ray", "127.0.0.1:6379") as executor:
    runner = CampaignRunner(..., launcher=executor.launch)
"""

from __future__ import annotations

from sentinel.agent.errors import BadInput
from sentinel.agent.executors._base import Executor, NodeRefused, RunLost
from sentinel.agent.executors.local import LocalExecutor

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "NodeRefused", "RunLost", "make_executor"]

EXECUTORS = ("local", "ray")  # the first is the default


def make_executor(name: str, ray_address: str | None = None) -> Executor:
    """The executor a CLI option names; options that do not fit it are bad input (exit 2)."""
    if name not in EXECUTORS:
        raise BadInput(f"--executor must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if name == "local":
        if ray_address is not None:
            raise BadInput("--ray-address needs --executor ray")
        return LocalExecutor()
    from sentinel.agent.executors.ray_cluster import RayExecutor  # ray is imported on first launch

    return RayExecutor(ray_address)
