"""The three image layers, each tagged by the content hash of its inputs.

- base (`sentinel-base:<hash>`): Debian + a venv with the pinned runtime wheels. Air-gapped
  route: debootstrap + host wheelhouse + `docker import`; registry route: Dockerfile.base.
  Inputs: images/runtime-lock.txt, the recipe files, the --base name.
- runtime (`sentinel-runtime:<hash>`): base + Sentinel's own wheel, installed with no deps.
  Inputs: the base hash and every file that goes into the wheel.
- per run (`sentinel-run:<run id>`): runtime + the run's job folder (resolved config,
  generated model files), labelled so any image on the engine can be traced to its run.

A tag that already exists is the cache: unchanged inputs never rebuild anything.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentinel.sandbox.engine import RUN_LABEL, Engine, owner_labels
from sentinel.sandbox.errors import ImageUnavailable
from sentinel.sandbox.paths import CACHE_DIR, IMAGES_DIR, PROJECT_ROOT

BASE_REPO, RUNTIME_REPO, RUN_REPO = "sentinel-base", "sentinel-runtime", "sentinel-run"
LOCK_FILE = "runtime-lock.txt"
BASE_RECIPE = ("runtime-lock.txt", "bootstrap-rootfs.sh", "Dockerfile.base")
WHEEL_SOURCES = ("agent", "sandbox", "monitor", "validator", "contract")
WHEEL_SUFFIXES = {".py", ".json", ".sql", ".yaml"}
LABEL_PREFIX = "io.sentinel."

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ImageRef:
    tag: str
    image_id: str
    built: bool  # False when the tag was already there (cache hit)
    seconds: float


def _hash_files(files: list[Path], root: Path, extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(files):
        name = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        digest.update(str(name).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def base_hash(base: str | None, images_dir: Path = IMAGES_DIR) -> str:
    return _hash_files([images_dir / name for name in BASE_RECIPE], images_dir, extra=f"base={base}")


def _wheel_inputs(root: Path) -> list[Path]:
    files = [root / "setup.py", root / "pyproject.toml", IMAGES_DIR / "Dockerfile.runtime"]
    for folder in WHEEL_SOURCES:
        for path in (root / folder).rglob("*"):
            if path.suffix in WHEEL_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                files.append(path)
    return files


def runtime_hash(base_tag: str, root: Path = PROJECT_ROOT) -> str:
    return _hash_files(_wheel_inputs(root), root, extra=f"base={base_tag}")


def current_runtime_tag(base: str | None = None) -> str:
    """The runtime tag today's sources would produce; doctor compares it with the engine."""
    return f"{RUNTIME_REPO}:{runtime_hash(f'{BASE_REPO}:{base_hash(base)}')}"


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ImageUnavailable(f"{what} failed: {' | '.join(tail) or 'no output'}")


def _wheelhouse(progress: Progress) -> Path:
    """Download the pinned runtime wheels once; pip's own cache makes a repeat cheap."""
    wheelhouse = CACHE_DIR / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    progress("collecting runtime wheels (torch 2.13.0 CPU, numpy, pyyaml)")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--only-binary=:all:",
            "-d",
            str(wheelhouse),
            "-r",
            str(IMAGES_DIR / LOCK_FILE),
        ],
        "pip download of the runtime wheels",
    )
    return wheelhouse


def _build_base_airgapped(engine: Engine, tag: str, progress: Progress) -> str:
    if os.geteuid() != 0 or shutil.which("debootstrap", path=os.environ["PATH"] + ":/usr/sbin") is None:
        raise ImageUnavailable("the air-gapped base needs root and debootstrap; run `sentinel doctor --fix`")
    wheelhouse = _wheelhouse(progress)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR))
    try:
        progress("debootstrap of Debian bookworm minbase and the venv (about a minute)")
        env = dict(os.environ, PATH=os.environ["PATH"] + ":/usr/sbin:/sbin")
        _run(
            [
                str(IMAGES_DIR / "bootstrap-rootfs.sh"),
                str(rootfs),
                str(wheelhouse),
                str(IMAGES_DIR / LOCK_FILE),
            ],
            "building the base root filesystem",
            env=env,
        )
        progress("importing the root filesystem into the engine")
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
            repo, _, version = tag.partition(":")
            image_id = engine.import_image(
                tar.stdout,
                repo,
                version,
                changes=["ENV PATH=/opt/venv/bin:/usr/bin:/bin"],  # type: ignore[arg-type]
            )
        return image_id
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def _tar_context(files: dict[str, bytes | Path]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in sorted(files.items()):
            data = content.read_bytes() if isinstance(content, Path) else content
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o444, 0
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _build_base_dockerfile(engine: Engine, tag: str, base: str, progress: Progress) -> str:
    wheelhouse = _wheelhouse(progress)
    files: dict[str, bytes | Path] = {"Dockerfile": (IMAGES_DIR / "Dockerfile.base").read_bytes()}
    files["wheels/lock.txt"] = IMAGES_DIR / LOCK_FILE
    for wheel in wheelhouse.glob("*.whl"):
        files[f"wheels/{wheel.name}"] = wheel
    progress(f"building the base from {base}")
    dockerfile = files["Dockerfile"].replace(b"ARG BASE=python:3.11-slim", f"ARG BASE={base}".encode())  # type: ignore[union-attr]
    files["Dockerfile"] = dockerfile
    return engine.build_image(_tar_context(files), tag)


def _project_wheel(out_dir: Path) -> Path:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out_dir),
            str(PROJECT_ROOT),
        ],
        "building Sentinel's wheel",
    )
    wheels = list(out_dir.glob("sentinel-*.whl"))
    if len(wheels) != 1:
        raise ImageUnavailable(f"expected one sentinel wheel, found {len(wheels)}")
    return wheels[0]


def ensure_runtime_image(
    engine: Engine, base: str | None = None, force: bool = False, progress: Progress | None = None
) -> ImageRef:
    """Return the runtime image for today's sources, building only the layers whose inputs changed."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    base_tag = f"{BASE_REPO}:{base_hash(base)}"
    runtime_tag = f"{RUNTIME_REPO}:{runtime_hash(base_tag)}"
    existing = None if force else engine.image_id(runtime_tag)
    if existing:
        return ImageRef(runtime_tag, existing, built=False, seconds=time.monotonic() - started)
    if force or engine.image_id(base_tag) is None:
        if base is None:
            _build_base_airgapped(engine, base_tag, say)
        else:
            _build_base_dockerfile(engine, base_tag, base, say)
    say("building the runtime layer with Sentinel's wheel")
    with tempfile.TemporaryDirectory(prefix="sentinel-wheel-") as tmp:
        wheel = _project_wheel(Path(tmp))
        dockerfile = (
            (IMAGES_DIR / "Dockerfile.runtime").read_text().replace("ARG BASE\n", f"ARG BASE={base_tag}\n")
        )
        context = _tar_context({"Dockerfile": dockerfile.encode(), f"dist/{wheel.name}": wheel})
        image_id = engine.build_image(context, runtime_tag, labels={f"{LABEL_PREFIX}role": "runtime"})
    if base is None:  # `latest` names the default (air-gapped) route's current image
        engine.tag_image(runtime_tag, RUNTIME_REPO, "latest")
    return ImageRef(runtime_tag, image_id, built=True, seconds=time.monotonic() - started)


def prune_old_runtimes(engine: Engine, keep: str) -> list[str]:
    """Untag runtime layers other than `keep` (and latest); ones still in use stay.

    Only `doctor --fix` calls this: pruning inside a build could pull an image from under a
    run or a test session that resolved the previous tag a moment ago.
    """
    removed = []
    for tag in engine.image_tags(RUNTIME_REPO):
        if tag not in {keep, f"{RUNTIME_REPO}:latest"}:
            engine.untag_image(tag)
            removed.append(tag)
    return removed


def build_run_image(
    engine: Engine, runtime_tag: str, run_id: str, job_files: dict[str, bytes], labels: dict[str, str]
) -> ImageRef:
    """`FROM runtime` + the job folder at /job (read-only files), labelled with the run's digests."""
    started = time.monotonic()
    dockerfile = f"FROM {runtime_tag}\nCOPY job/ /job/\n".encode()
    files: dict[str, bytes | Path] = {"Dockerfile": dockerfile}
    files.update({f"job/{name}": data for name, data in job_files.items()})
    # The owner labels let a reaper find the image of a host killed before its container existed.
    all_labels = {
        RUN_LABEL: run_id,
        **owner_labels(),
        **{f"{LABEL_PREFIX}{k}": v for k, v in labels.items()},
    }
    tag = f"{RUN_REPO}:{run_id}"
    image_id = engine.build_image(_tar_context(files), tag, labels=all_labels)
    return ImageRef(tag, image_id, built=True, seconds=time.monotonic() - started)
