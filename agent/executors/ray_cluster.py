"""`ray`: each run is a Ray task on a node that advertises `sentinel_docker`, calling the same
hardened runner there (node.py); the head keeps the loop, the store and the brain.

A task needs one `sentinel_docker` slot plus the run's CPUs and memory, so a node runs at most
as many runs as it advertises slots and cores. Tasks are never retried by Ray: a node that dies
mid-run surfaces as `RunLost`, the store marks the run `lost` and the loop's next attempt lands
on a live node. The cluster is reached at `--ray-address` (host:port of its GCS), which must be
a private interface: Ray's GCS and dashboard have no authentication (docs/scale-out.md).
"""

from __future__ import annotations

import atexit
import re
import sys
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sentinel.agent.errors import BadInput
from sentinel.agent.executors._base import Executor, RunLost
from sentinel.sandbox.errors import EngineUnavailable

if TYPE_CHECKING:
    from sentinel.agent.configs import ResolvedConfig
    from sentinel.agent.launch import LaunchOutcome, LaunchRequest, OnProgress

__all__ = ["DOCKER_RESOURCE", "RayExecutor", "check_address"]

DOCKER_RESOURCE = "sentinel_docker"  # advertised only by nodes whose `sentinel doctor` is green
ADDRESS = re.compile(r"(auto|[A-Za-z0-9.-]{1,253}:[0-9]{1,5})")
NAMESPACE = "sentinel"
LOOPBACK = ("127.0.0.1", "localhost")
FOLLOW_S = 0.5  # how often the head collects a run's streamed progress
OPEN_TIMEOUT_S = 30.0
CANCEL_WAIT_S = 120.0  # a cancelled run's node removes its container, image and volume first


def check_address(address: str | None) -> str:
    """`auto` (a cluster started on this machine) or host:port; anything else is bad input."""
    if address is None:
        return "auto"
    if not ADDRESS.fullmatch(address) or (
        address != "auto" and not 0 < int(address.rsplit(":", 1)[1]) < 65536
    ):
        raise BadInput(f"--ray-address must be host:port (the head's GCS) or auto, got {address!r}")
    return address


def _cluster_messages_to_stderr() -> None:
    """Ray prints the cluster's error messages (a raylet that died, a worker killed) on the
    driver's stdout; Sentinel's stdout carries `--json` output only, so they go to stderr."""
    from ray._private import worker

    original = worker.print_to_stdstream
    if getattr(original, "_sentinel", False):
        return

    def to_stderr(data: dict, ignore_prefix: bool) -> None:
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr._sentinel = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr


def _check_fits(cpus: float, memory: int) -> None:
    """Ray would keep a run no live node can hold pending forever: refuse it (exit 3) instead."""
    import ray

    for node in ray.nodes():
        have = node.get("Resources", {}) if node.get("Alive") else {}
        if (
            have.get(DOCKER_RESOURCE, 0) >= 1
            and have.get("CPU", 0) >= cpus
            and have.get("memory", 0) >= memory
        ):
            return
    raise EngineUnavailable(
        f"no live node of the Ray cluster advertises {DOCKER_RESOURCE} with {cpus:g} CPU(s) and "
        f"{memory / 2**30:.1f} GiB of memory for a run",
        "start a node that can hold the goal's sandbox limits with `sentinel cluster start`",
    )


class RayExecutor(Executor):
    """Connects on first use; `close()` disconnects (the cluster keeps running)."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        self.address = check_address(address)
        self._lock = threading.Lock()
        self._connected = False
        self._head_tags: dict[str | None, str] = {}
        self._channel: Any = None  # the ProgressChannel actor, made on the first followed run

    def connect(self) -> None:
        import ray
        from ray._private import ray_constants

        with self._lock:
            if self._connected:
                return
            extra = {}
            if self.address.split(":")[0] in LOOPBACK:
                # Ray rewrites a loopback address to this machine's outward IP (found by routing
                # towards a public address), where a cluster bound to 127.0.0.1 does not listen.
                # Its single-machine mode keeps loopback as loopback.
                ray_constants.ENABLE_RAY_CLUSTER = False
                extra["_node_ip_address"] = "127.0.0.1"
            _cluster_messages_to_stderr()
            try:
                ray.init(
                    address=self.address,
                    namespace=NAMESPACE,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level="ERROR",
                    configure_logging=False,
                    **extra,
                )
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise EngineUnavailable(
                    f"no Ray cluster at {self.address} ({str(err).splitlines()[0][:200]})",
                    "start one with `sentinel cluster start --head` (docs/scale-out.md)",
                ) from None
            self._connected = True
            # Runs before Ray's own exit hook (LIFO): a driver whose cluster lost a node may be
            # ended with os._exit there, which would drop what the CLI buffered on stdout.
            atexit.register(self.close)
            slots = ray.cluster_resources().get(DOCKER_RESOURCE, 0)
            if slots < 1:
                self.close()
                raise EngineUnavailable(
                    f"the Ray cluster at {self.address} has no node advertising {DOCKER_RESOURCE}",
                    "start nodes with `sentinel cluster start` (it runs `sentinel doctor` first)",
                )

    def _head_tag(self, pinned: str | None) -> str:
        """The runtime tag every node must match: a caller's pinned one, else today's sources'."""
        if pinned not in self._head_tags:
            from sentinel.sandbox.images import current_runtime_tag

            self._head_tags[pinned] = pinned or current_runtime_tag()
        return self._head_tags[pinned]

    def _progress_channel(self) -> Any:
        """The campaign's progress channel: one actor on the head's own node, holding no CPU."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from sentinel.agent.executors._progress import ProgressChannel

        with self._lock:
            if self._channel is None:
                here = ray.get_runtime_context().get_node_id()
                self._channel = (
                    ray.remote(ProgressChannel)
                    .options(
                        num_cpus=0,
                        max_restarts=0,
                        scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=True),
                    )
                    .remote()
                )
            return self._channel

    def launch(
        self, resolved: ResolvedConfig, request: LaunchRequest, on_progress: OnProgress | None = None
    ) -> LaunchOutcome:
        """Run `resolved` as `request` says on a node and store its files here. `on_progress` is
        called from this thread, as the local executor does, with a mirror of the run's
        metrics.jsonl that the node streams while it runs (`_progress`); the run's record
        arrives whole at its end."""
        import ray
        import ray.exceptions as rex

        from sentinel.agent.executors._progress import LIVE_DIR, ProgressMirror
        from sentinel.agent.executors._transfer import receive
        from sentinel.agent.executors.node import generated_tree, run_on_node
        from sentinel.agent.launch import _read_model_file, new_run_id
        from sentinel.sandbox.paths import RUNS_DIR
        from sentinel.sandbox.spec import parse_size

        self.connect()
        run_id = request.run_id or new_run_id(request.experiment)
        out_dir = request.out_dir or RUNS_DIR / request.campaign / run_id
        if out_dir.exists() and any(out_dir.iterdir()):
            raise BadInput(f"output folder {out_dir} already exists and is not empty")
        generated = generated_tree(request.generated_root)  # the campaign's tier-2/3 entries
        model_source = None
        if request.model_file is not None:
            model_source = _read_model_file(request.model_file)[2].encode()
        task = ray.remote(run_on_node).options(
            num_cpus=request.cpus,
            memory=parse_size(request.memory),
            resources={DOCKER_RESOURCE: 1},
            max_retries=0,
            name=f"sentinel-run:{run_id}",
        )
        _check_fits(request.cpus, parse_size(request.memory))
        channel, mirror = None, None
        if on_progress is not None:
            channel = self._progress_channel()
            mirror = ProgressMirror(out_dir / LIVE_DIR, resolved.config, on_progress)
            try:
                opened = ray.get(channel.open.remote(run_id), timeout=OPEN_TIMEOUT_S)
            except (rex.RayError, TimeoutError):
                opened = False
            if not opened:  # no channel (or it follows enough runs): this run shows at its end
                channel, mirror = None, None
        started, submitted_at = time.monotonic(), time.time()
        ref = task.remote(
            replace(request, run_id=run_id),
            model_source,
            self._head_tag(request.runtime_image),
            resolved.sha256,
            generated,
            channel,
        )
        try:
            if mirror is not None:
                _follow(ref, channel, run_id, mirror)
            report = ray.get(ref)
        except rex.RayTaskError as err:  # the node's own exception (BadInput, SandboxError, NodeRefused)
            raise (err.cause if isinstance(err.cause, Exception) else err.as_instanceof_cause()) from None
        except (rex.NodeDiedError, rex.WorkerCrashedError, rex.ObjectLostError, rex.OwnerDiedError) as err:
            raise RunLost(f"the node running {run_id} went away mid-run ({type(err).__name__})") from None
        finally:
            if mirror is not None:
                channel.close.remote(run_id)
                mirror.close()
        round_trip = time.monotonic() - started
        launch_s = _seconds(report.node.get("launch_s"))
        executor: dict[str, Any] = {
            "name": self.name,
            **report.node,
            "launch_s": launch_s,  # launch_run on the node
            # Wall clocks (epoch seconds): when the head submitted and got the result, and when
            # the task ran on its node; a bench lines up the runs of a campaign with them.
            "submitted_at": round(submitted_at, 3),
            "received_at": round(time.time(), 3),
            "task_started_at": _seconds(report.node.get("task_started_at")),
            "task_ended_at": _seconds(report.node.get("task_ended_at")),
            "round_trip_s": round(round_trip, 3),  # submit to result, seen from the head
            # what Ray and the transfer added
            "overhead_s": round(round_trip - launch_s, 3) if launch_s is not None else None,
        }
        return receive(report, out_dir, executor)

    def close(self) -> None:
        import ray

        if self._connected:
            sys.stdout.flush()
            sys.stderr.flush()
            if self._channel is not None:
                ray.kill(self._channel)
                self._channel = None
            ray.shutdown()
            self._connected = False


def _seconds(value: object) -> float | None:
    """A number of seconds from a node's report; None when it is not one."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 1e11 else None


def _follow(ref: Any, channel: Any, run_id: str, mirror: Any) -> None:
    """Until the run's task ends: every FOLLOW_S, hand what its node streamed to the mirror.

    Each run's own launching thread follows it (no shared polling loop to wait behind). A channel
    that stops answering ends the following only; the task's result is awaited as before. When
    the caller's `on_progress` raises, the task is cancelled (a KeyboardInterrupt in the task, so
    `launch_run`'s own cleanup runs on the node) and the error propagates, as it does locally."""
    import ray

    following = True
    while True:
        ready, _ = ray.wait([ref], timeout=FOLLOW_S)
        if following:
            try:
                batch = ray.get(channel.drain.remote(run_id), timeout=OPEN_TIMEOUT_S)
            except Exception:
                following = False
            else:
                try:
                    mirror.accept(batch)
                except BaseException:
                    ray.cancel(ref)
                    ray.wait([ref], timeout=CANCEL_WAIT_S)  # the node's cleanup, before raising
                    raise
        if ready:
            return
