"""A scripted Docker engine and plain-folder artifact volumes, for unit tests of the runner.

`FakeEngine` answers the `sentinel.sandbox.engine.Engine` methods the runner calls
(`sandbox/run.py`, `sandbox/evaluation.py`), one `Script` per container in creation order, and
records every call, so a test can check both the verdict and that every container was removed.
The "container" does its work on the host side of its `/artifacts` bind: it keeps running for
`polls` state checks (or until `until(artifacts)` holds, or forever until killed), then writes
what `writes` writes and exits with `exit_code`, the OOM flag and `log`.

    engine = FakeEngine(Script(exit_code=0, writes=honest_run))
    with folder_volumes(tmp_path, monkeypatch):
        result = run_container(engine, spec, out_dir)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sentinel.sandbox.engine import ContainerState
from sentinel.sandbox.errors import SandboxError

__all__ = ["FakeEngine", "FolderVolume", "Script", "folder_volumes"]

KILLED_BY_HOST = 137  # what the engine reports for a container it SIGKILLed


@dataclass
class Script:
    """What one fake container does; the defaults exit 0 at once having written nothing."""

    exit_code: int = 0
    oom_killed: bool = False
    polls: int | None = 0  # "running" answers before it ends; None: runs until killed
    until: Callable[[Path], bool] | None = None  # or: runs until this holds of its /artifacts
    writes: Callable[[Path], None] | None = None  # its output into /artifacts, as it ends
    log: bytes = b""


@dataclass
class _Container:
    script: Script
    artifacts: Path
    command: list[str]
    labels: dict[str, str]
    started: bool = False
    running: bool = False
    exit_code: int | None = None
    oom_killed: bool = False
    polls: int = 0


@dataclass
class FakeEngine:
    """The runner's view of an engine, scripted; `calls` lists (method, container id) in order."""

    scripts: list[Script]
    calls: list[tuple[str, str]] = field(default_factory=list)
    containers: dict[str, _Container] = field(default_factory=dict)

    def __init__(self, *scripts: Script) -> None:
        self.scripts, self.calls, self.containers = list(scripts), [], {}

    # the Engine methods sandbox/run.py and sandbox/evaluation.py call -----------------------
    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return dict(kwargs)

    def create_container(
        self, image: str, command: list[str], host_config: dict[str, Any], **kwargs: Any
    ) -> str:
        if not self.scripts:
            raise SandboxError("the fake engine has no script left for another container")
        binds = host_config["binds"]
        artifacts = next(Path(host) for host, bind in binds.items() if bind["bind"] == "/artifacts")
        container_id = f"fake{len(self.containers):060d}"
        labels = dict(kwargs.get("labels") or {})
        self.containers[container_id] = _Container(self.scripts.pop(0), artifacts, list(command), labels)
        self.calls.append(("create", container_id))
        return container_id

    def start(self, container_id: str) -> None:
        c = self.containers[container_id]
        c.started = c.running = True
        self.calls.append(("start", container_id))

    def state(self, container_id: str) -> ContainerState:
        c = self.containers[container_id]
        if c.running:
            c.polls += 1
            s = c.script
            done = s.until(c.artifacts) if s.until is not None else s.polls is not None and c.polls > s.polls
            if done:
                self._end(c, s.exit_code, s.oom_killed)
        return ContainerState(c.exit_code, c.oom_killed, c.running, "")

    def kill(self, container_id: str) -> None:
        self.calls.append(("kill", container_id))
        c = self.containers[container_id]
        if c.running:
            c.running, c.exit_code = False, KILLED_BY_HOST  # killed: it never gets to write its output

    def logs_tail(self, container_id: str, max_bytes: int) -> bytes:
        return self.containers[container_id].script.log[-max_bytes:]

    def remove_container(self, container_id: str) -> None:
        self.calls.append(("remove", container_id))
        self.containers[container_id].running = False

    # for assertions ------------------------------------------------------------------------
    def removed(self) -> set[str]:
        return {cid for call, cid in self.calls if call == "remove"}

    def killed(self) -> set[str]:
        return {cid for call, cid in self.calls if call == "kill"}

    def _end(self, c: _Container, exit_code: int, oom: bool) -> None:
        if c.script.writes is not None:
            c.script.writes(c.artifacts)
        c.running, c.exit_code, c.oom_killed = False, exit_code, oom


class FolderVolume:
    """An artifact volume that is a plain folder (no size cap, no root needed)."""

    def __init__(self, root: Path, name: str, size_bytes: int) -> None:
        self.run_id, self.size_bytes = name, size_bytes
        self.path = root / name
        self.path.mkdir(parents=True)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def folder_volumes(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[FolderVolume]:
    """Make the runner use plain folders under `root` as volumes (and keep its owner and exit
    notes there); returns the list of volumes made, for assertions."""
    import sentinel.sandbox.run as run_module

    made: list[FolderVolume] = []

    def factory(name: str, size_bytes: int) -> FolderVolume:
        made.append(FolderVolume(root / "volumes", name, size_bytes))
        return made[-1]

    monkeypatch.setattr(run_module, "volume_factory", factory)
    monkeypatch.setattr(run_module, "VOLUMES_DIR", root / "notes")
    return made
