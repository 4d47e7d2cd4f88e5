"""The only module that imports the docker SDK: one thin method per engine call.

Errors from the SDK are translated here, once: a missing or unreachable engine becomes
`EngineUnavailable` (exit 3), anything else the engine refuses becomes `SandboxError`.
Everything above this module (images, runs, doctor) speaks in plain values, which also lets
tests fake the engine at this one seam.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, Any

import docker
import docker.errors
import requests.exceptions

from sentinel.sandbox.errors import EngineUnavailable, SandboxError
from sentinel.sandbox.process import this_process

RUN_LABEL = "io.sentinel.run_id"  # every container and per-run image Sentinel makes carries it
OWNER_LABEL = "io.sentinel.owner_pid"  # the host process that made a container or per-run image
OWNER_START_LABEL = "io.sentinel.owner_start"  # its start marker: a reused pid is not its owner
DEADLINE_LABEL = "io.sentinel.deadline"  # UNIX time after which a run container is past its limit
API_VERSION = "1.41"  # Docker 20.10 (Debian bookworm's docker.io); pinning it makes connecting lazy


def owner_labels() -> dict[str, str]:
    """The labels naming this process as the owner of a container or a per-run image."""
    owner = this_process()
    return {OWNER_LABEL: str(owner.pid), OWNER_START_LABEL: owner.start or ""}


@dataclass(frozen=True, slots=True)
class ContainerState:
    """What the host observed about a finished container: the only source of run status."""

    exit_code: int | None
    oom_killed: bool
    running: bool
    error: str


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except (requests.exceptions.ConnectionError, FileNotFoundError) as err:
        raise EngineUnavailable(f"no Docker engine answered while trying to {action}") from err
    except docker.errors.DockerException as err:
        text = str(err)
        if "Connection aborted" in text or "No such file" in text or "Error while fetching" in text:
            raise EngineUnavailable(f"no Docker engine answered while trying to {action}") from err
        raise SandboxError(f"engine refused to {action}: {text.splitlines()[0][:300]}") from err


class Engine:
    """A connection to the local Docker engine (DOCKER_HOST or the default socket)."""

    def __init__(self, timeout_s: int = 120) -> None:
        try:
            self._client = docker.from_env(timeout=timeout_s, version=API_VERSION)
        except docker.errors.DockerException as err:  # e.g. DOCKER_HOST=garbage://x: the environment
            where = os.environ.get("DOCKER_HOST") or "the default socket"
            first = (str(err).splitlines() or [""])[0][:200]
            raise EngineUnavailable(
                f"cannot reach a Docker engine at {where[:200]} ({first}); fix DOCKER_HOST"
            ) from err

    @property
    def api(self) -> docker.APIClient:
        return self._client.api

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # any failure means "not reachable", which is the answer asked for
            return False

    def info(self) -> dict[str, Any]:
        with _translated("read engine info"):
            return self._client.info()

    def runtimes(self) -> set[str]:
        return set((self.info().get("Runtimes") or {}).keys())

    # images -------------------------------------------------------------------------------
    def image_id(self, ref: str) -> str | None:
        with _translated(f"inspect image {ref}"):
            try:
                return self._client.api.inspect_image(ref)["Id"]
            except docker.errors.ImageNotFound:
                return None

    def image_labels(self, ref: str) -> dict[str, str]:
        with _translated(f"inspect image {ref}"):
            return self._client.api.inspect_image(ref)["Config"].get("Labels") or {}

    def import_image(self, tar_stream: IO[bytes], repository: str, tag: str, changes: list[str]) -> str:
        """`docker import` of a root filesystem tarball (the air-gapped base route)."""
        with _translated(f"import image {repository}:{tag}"):
            self._client.api.import_image_from_stream(
                tar_stream, repository=repository, tag=tag, changes=changes
            )
        image_id = self.image_id(f"{repository}:{tag}")
        if image_id is None:
            raise SandboxError(f"engine did not create image {repository}:{tag} from the import")
        return image_id

    def build_image(self, context_tar: IO[bytes], tag: str, labels: dict[str, str] | None = None) -> str:
        """Legacy builder from an in-memory context (buildx is not installed here)."""
        with _translated(f"build image {tag}"):
            stream = self._client.api.build(
                fileobj=context_tar,
                custom_context=True,
                tag=tag,
                labels=labels or {},
                rm=True,
                forcerm=True,
                network_mode="none",
                decode=True,
            )
            last_error = ""
            for chunk in stream:
                if "error" in chunk:
                    last_error = str(chunk.get("error", "")).strip()
            if last_error:
                raise SandboxError(f"building {tag} failed: {last_error[:300]}")
        image_id = self.image_id(tag)
        if image_id is None:
            raise SandboxError(f"building {tag} produced no image")
        return image_id

    def tag_image(self, ref: str, repository: str, tag: str) -> None:
        with _translated(f"tag image {ref}"):
            self._client.api.tag(ref, repository, tag)

    def remove_image(self, ref: str) -> None:
        with _translated(f"remove image {ref}"), suppress(docker.errors.ImageNotFound):
            self._client.api.remove_image(ref, force=True, noprune=False)

    def image_tags(self, repository: str) -> list[str]:
        with _translated("list images"):
            images = self._client.api.images(name=repository)
        return sorted(
            tag for img in images for tag in (img.get("RepoTags") or []) if tag.startswith(repository + ":")
        )

    def untag_image(self, tag: str) -> None:
        """Remove a tag (and the image if nothing else holds it); an image in use is kept."""
        with _translated(f"remove tag {tag}"), suppress(docker.errors.APIError):  # ImageNotFound included
            self._client.api.remove_image(tag, force=False, noprune=False)

    def images_with_label(self, label: str) -> list[str]:
        with _translated("list images"):
            return [img["Id"] for img in self._client.api.images(filters={"label": label})]

    # containers ---------------------------------------------------------------------------
    def create_container(
        self, image: str, command: list[str], host_config: dict[str, Any], **kwargs: Any
    ) -> str:
        with _translated(f"create a container from {image}"):
            created = self._client.api.create_container(
                image=image, command=command, host_config=host_config, **kwargs
            )
            return created["Id"]

    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return self._client.api.create_host_config(**kwargs)

    def start(self, container_id: str) -> None:
        with _translated("start a container"):
            self._client.api.start(container_id)

    def wait(self, container_id: str, timeout_s: float) -> int | None:
        """Exit code, or None when the container is still running after `timeout_s`."""
        with _translated("wait for a container"):
            try:
                return int(self._client.api.wait(container_id, timeout=timeout_s)["StatusCode"])
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                if self.state(container_id).running:
                    return None
                raise

    def state(self, container_id: str) -> ContainerState:
        with _translated("inspect a container"):
            state = self._client.api.inspect_container(container_id)["State"]
        return ContainerState(
            exit_code=state.get("ExitCode"),
            oom_killed=bool(state.get("OOMKilled")),
            running=bool(state.get("Running")),
            error=str(state.get("Error") or ""),
        )

    def kill(self, container_id: str) -> None:
        with _translated("kill a container"):
            try:
                self._client.api.kill(container_id)
            except docker.errors.APIError as err:  # already stopped is fine
                if "is not running" not in str(err):
                    raise

    def logs_tail(self, container_id: str, max_bytes: int) -> bytes:
        """Last `max_bytes` of stdout+stderr; the engine's own log is size-capped too."""
        with _translated("read container logs"):
            data = self._client.api.logs(container_id, stdout=True, stderr=True, tail=2000)
        return data[-max_bytes:]

    def remove_container(self, container_id: str) -> None:
        """Gone afterwards, or being removed by another process already (reapers race)."""
        with _translated("remove a container"), suppress(docker.errors.NotFound):
            try:
                self._client.api.remove_container(container_id, force=True, v=True)
            except docker.errors.APIError as err:
                if "already in progress" not in str(err):
                    raise

    def containers_with_label(self, label: str) -> list[str]:
        with _translated("list containers"):
            return [c["Id"] for c in self._client.api.containers(all=True, filters={"label": label})]

    def container_labels(self, container_id: str) -> dict[str, str] | None:
        """Labels of a container, or None when it is gone (it may end between a list and this call)."""
        with _translated("inspect a container"):
            try:
                return self._client.api.inspect_container(container_id)["Config"].get("Labels") or {}
            except docker.errors.NotFound:
                return None

    def container_info(self, container_id: str) -> dict[str, Any] | None:
        """The engine's full record of a container (State with StartedAt/FinishedAt, Config with
        labels), or None when it is gone."""
        with _translated("inspect a container"):
            try:
                return self._client.api.inspect_container(container_id)
            except docker.errors.NotFound:
                return None

    def exists(self, container_id: str) -> bool:
        with _translated("inspect a container"):
            try:
                self._client.api.inspect_container(container_id)
                return True
            except docker.errors.NotFound:
                return False
