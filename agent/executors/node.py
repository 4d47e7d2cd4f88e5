"""Node side of the Ray executor: Sentinel's own trusted code, run by a Ray worker on a Docker host.

`run_on_node` is the body of every Ray task. Before its process's first run it makes sure the
runtime image for the node's sources exists (`ensure_runtime_image`: built from the same inputs,
so the same content hash) and refuses the run when that hash, or the config the node composes
from the request, differs from the head's. It then calls the local hardened runner
(`launch_run`: reaper, per-run layer built here, network-less container, trusted evaluation) into
a node-local folder, packs the outcome and files for the head, and removes the folder. The
first run of each worker process also starts its janitor (`_janitor.py`), which cleans up after
the worker if Ray kills it mid-run (`ray stop` on the node).
Generated code only ever runs inside the containers, as on a single machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sentinel.agent.errors import BadInput
from sentinel.agent.executors._base import NodeRefused
from sentinel.agent.executors._progress import ProgressSender
from sentinel.agent.executors._transfer import NodeReport, pack_run

__all__ = ["node_root", "run_on_node"]

_images: dict[str, str] = {}  # head tag -> this node's tag, checked once per worker process
_images_lock = threading.Lock()
_janitor_started = False  # one janitor per worker process (see _janitor.py)


def node_root() -> Path:
    """Where runs live on this node while they run (SENTINEL_NODE_DIR, else a per-user tmp folder)."""
    default = Path(tempfile.gettempdir()) / f"sentinel-node-{os.getuid()}"
    return Path(os.environ.get("SENTINEL_NODE_DIR", default))


def _node_identity() -> dict[str, str]:
    node_id = ""
    try:
        import ray

        node_id = ray.get_runtime_context().get_node_id()
    except Exception:
        node_id = ""
    return {"node_id": node_id, "hostname": socket.gethostname(), "pid": str(os.getpid())}


def _check_image(head_tag: str) -> str:
    """This node's runtime tag for the head's; NodeRefused unless both are the same content hash."""
    with _images_lock:
        if head_tag not in _images:
            from sentinel.sandbox.engine import Engine
            from sentinel.sandbox.images import current_runtime_tag, ensure_runtime_image

            mine = current_runtime_tag()  # the content hash of this node's inputs: cheap, no build
            if mine == head_tag:
                mine = ensure_runtime_image(Engine()).tag  # built here from the same inputs if missing
            _images[head_tag] = mine
        mine = _images[head_tag]
    if mine != head_tag:
        raise NodeRefused(
            f"this node's runtime image is {mine}, the head's is {head_tag}: the sources differ"
        )
    return mine


def _clean_stale(root: Path) -> None:
    """Remove run folders left by a worker that died mid-run (its owner is gone)."""
    from sentinel.sandbox.process import token_alive

    for owner in root.glob("*/.owner"):
        try:
            token = owner.read_text().strip()
        except OSError:
            continue  # removed meanwhile by its own worker
        if token.partition(":")[0].isdigit() and not token_alive(token):  # empty: being written
            shutil.rmtree(owner.parent, ignore_errors=True)


def _ensure_janitor(root: Path) -> None:
    """This worker's janitor: if Ray kills the worker mid-run, the run's leftovers go at once."""
    global _janitor_started
    with _images_lock:
        if not _janitor_started:
            from sentinel.agent.executors._janitor import start_janitor

            start_janitor(root)
            _janitor_started = True


MAX_GENERATED_FILES, MAX_GENERATED_BYTES = 2000, 16 * 1024 * 1024


def generated_tree(root: Path | None) -> dict[str, bytes]:
    """The campaign's generated entries (`<root>/generated/**`, regular files only) as relative
    path -> bytes, bounded: a node composes the run from exactly what the head composed."""
    if root is None or not (Path(root) / "generated").is_dir():
        return {}
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted((Path(root) / "generated").rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        total += len(data)
        if len(files) >= MAX_GENERATED_FILES or total > MAX_GENERATED_BYTES:
            raise BadInput(f"the campaign's generated folder under {root} is too large to send to a node")
        files[path.relative_to(root).as_posix()] = data
    return files


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts or relative.parts[:1] != ("generated",):
            raise NodeRefused(f"a generated entry path from the head is not inside generated/: {name!r}")
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def run_on_node(
    request: Any,
    model_source: bytes | None,
    head_tag: str,
    config_sha256: str,
    generated: dict[str, bytes] | None = None,
    progress: Any | None = None,
) -> NodeReport:
    """Run one prepared `LaunchRequest` here and return its bounded report (a Ray task body).

    `progress` is the head's `ProgressChannel` actor, or None: while the container runs, its
    metrics lines are pushed there (`ProgressSender`) for the head's `on_progress`."""
    from sentinel.agent.launch import launch_run, resolve_request
    from sentinel.sandbox.process import owner_token

    task_started = time.time()  # wall clock: the head lines runs of all nodes up (bench_executor)
    runtime_tag = _check_image(head_tag)
    root = node_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _clean_stale(root)
    _ensure_janitor(root)
    work = Path(tempfile.mkdtemp(prefix=f"{request.run_id}-", dir=root))
    (work / ".owner").write_text(owner_token())
    try:
        generated_root = None
        if generated:
            generated_root = work / "campaign"
            _write_tree(generated_root, generated)
        model_file = None
        if model_source is not None and request.model_file is not None:
            model_file = work / "model" / Path(request.model_file).name  # its stem names the module
            model_file.parent.mkdir()
            model_file.write_bytes(model_source)
        data_dir = (
            request.data_dir if request.data_dir is not None and Path(request.data_dir).is_dir() else None
        )
        local = replace(
            request,
            out_dir=work / "run",
            model_file=model_file,
            runtime_image=runtime_tag,
            data_dir=data_dir,
            generated_root=generated_root,
        )
        resolved = resolve_request(local)
        if resolved.sha256 != config_sha256:
            raise NodeRefused(
                f"the config this node composes for run {request.run_id} differs from the head's"
            )
        started = time.monotonic()
        sender = ProgressSender(progress, request.run_id) if progress is not None else None
        outcome = launch_run(resolved, local, sender)
        node = {
            **_node_identity(),
            "launch_s": f"{time.monotonic() - started:.3f}",
            "task_started_at": f"{task_started:.3f}",
            "task_ended_at": f"{time.time():.3f}",
        }
        return pack_run(outcome, node)
    finally:
        shutil.rmtree(work, ignore_errors=True)
