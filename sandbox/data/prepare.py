"""`sentinel data prepare`: build every dataset once, check it every time.

Preparation is idempotent: a dataset whose files match MANIFEST.json and whose meta.json says
it was built by the current generator version at the requested scale is kept as it is, so a
second call costs only the checksums. Missing or stale datasets are built in parallel worker
processes (neurokit2 simulation dominates the cost), each written atomically by `_store`.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sentinel.sandbox.data import _store
from sentinel.sandbox.errors import SandboxError

__all__ = ["DATASETS", "DataError", "PreparedDataset", "prepare_all", "verify"]

# Dataset name -> generator module; ordered most expensive first so the pool starts them first.
DATASETS: Mapping[str, str] = MappingProxyType(
    {
        "ppg_hr": "sentinel.sandbox.data.ppg_hr",
        "ecg_rhythm": "sentinel.sandbox.data.ecg_rhythm",
        "synthetic_vae": "sentinel.sandbox.data.synthetic_vae",
        "digits": "sentinel.sandbox.data.digits",
    }
)


class DataError(SandboxError):
    """A dataset could not be built or written (the message names it); exit code 1."""


@dataclass(frozen=True, slots=True)
class PreparedDataset:
    """One dataset in the data folder after `prepare_all`; `reused` means it was already sound."""

    name: str
    path: Path
    task: str
    sizes: Mapping[str, int]
    reused: bool
    seconds: float


def prepare_all(
    data_dir: Path,
    force: bool = False,
    *,
    names: Sequence[str] | None = None,
    scale: float = 1.0,
    workers: int | None = None,
) -> list[PreparedDataset]:
    """Make `data_dir` hold every dataset in `names` (default: all), verified; return them.

    `scale` multiplies split sizes (tests use ~0.05); `force` rebuilds even sound datasets.
    """
    wanted = list(DATASETS) if names is None else list(names)
    unknown = [n for n in wanted if n not in DATASETS]
    if unknown:
        raise DataError(f"unknown dataset {unknown[0]!r} (known: {', '.join(DATASETS)})")
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
    except OSError as err:
        raise DataError(f"cannot create data folder {data_dir}: {err.strerror}") from None
    try:
        with _store.locked(data_dir):
            return _prepare_locked(data_dir, wanted, force, scale, workers)
    except OSError as err:
        raise DataError(f"cannot write to data folder {data_dir}: {err.strerror or err}") from None


def _prepare_locked(
    data_dir: Path, wanted: list[str], force: bool, scale: float, workers: int | None
) -> list[PreparedDataset]:
    held = _store.heldout_dir(data_dir)
    _store.remove_leftovers(data_dir, list(DATASETS))  # of a preparer killed mid-write
    if held.is_dir():
        _store.remove_leftovers(held, list(DATASETS))
    manifest, heldout = _store.read_manifest(data_dir), _store.read_manifest(held)
    todo = [n for n in wanted if force or not _is_current(data_dir, n, manifest, heldout, scale)]
    built = _build_all(data_dir, todo, scale, workers)
    for name in todo:
        for key in _store.dataset_files(name):
            manifest.pop(key, None)
        for key in _store.heldout_files(name):
            heldout.pop(key, None)
        data_entries, heldout_entries = built[name][0]
        manifest.update(data_entries)
        heldout.update(heldout_entries)
    if todo or not (held / _store.MANIFEST).exists():
        held.mkdir(mode=0o700, exist_ok=True)
        _store.write_manifest(held, heldout)
    if todo or not (data_dir / _store.MANIFEST).exists():
        _store.write_manifest(data_dir, manifest)
    return [_describe(data_dir, n, reused=n not in todo, seconds=built.get(n, ({}, 0.0))[1]) for n in wanted]


def verify(data_dir: Path, names: Sequence[str] | None = None) -> list[str]:
    """Every problem with the data folder, one sentence each; [] means every dataset is sound."""
    data_dir = Path(data_dir)
    if not (data_dir / _store.MANIFEST).is_file():
        return [f"{data_dir / _store.MANIFEST}: missing (run `sentinel data prepare`)"]
    manifest = _store.read_manifest(data_dir)
    if not manifest:
        return [f"{data_dir / _store.MANIFEST}: unreadable or wrong version (run `sentinel data prepare`)"]
    heldout = _store.read_manifest(_store.heldout_dir(data_dir))
    problems: list[str] = []
    for name in DATASETS if names is None else names:
        problems.extend(_store.check_dataset(data_dir, name, manifest, heldout))
    return problems


def _is_current(
    data_dir: Path, name: str, manifest: Mapping[str, str], heldout: Mapping[str, str], scale: float
) -> bool:
    meta = _store.read_meta(data_dir, name)
    module = importlib.import_module(DATASETS[name])
    return (
        meta.get("version") == module.VERSION
        and meta.get("scale") == scale
        and not _store.check_dataset(data_dir, name, manifest, heldout)
    )


def _build_all(
    data_dir: Path, todo: list[str], scale: float, workers: int | None
) -> dict[str, tuple[tuple[dict[str, str], dict[str, str]], float]]:
    if not todo:
        return {}
    count = max(1, min(len(todo), workers or len(os.sched_getaffinity(0))))
    if count == 1:
        return {name: _build_one(str(data_dir), name, scale) for name in todo}
    # spawn, not fork: the caller may hold torch/OpenMP threads, which do not survive a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {name: pool.submit(_build_one, str(data_dir), name, scale) for name in todo}
        return {name: future.result() for name, future in futures.items()}


def _build_one(data_dir: str, name: str, scale: float) -> tuple[tuple[dict[str, str], dict[str, str]], float]:
    """Worker entry point: build and write one dataset; ((data, held-out) manifest entries, seconds)."""
    start = time.perf_counter()
    try:
        built = importlib.import_module(DATASETS[name]).build(scale)
        entries = _store.write_dataset(Path(data_dir), name, built)
    except (OSError, ValueError, RuntimeError) as err:
        raise DataError(f"building dataset {name!r} failed: {type(err).__name__}: {err}") from None
    return entries, time.perf_counter() - start


def _describe(data_dir: Path, name: str, reused: bool, seconds: float) -> PreparedDataset:
    meta = _store.read_meta(data_dir, name)
    sizes = {str(k): int(v) for k, v in dict(meta.get("sizes", {})).items()}
    return PreparedDataset(name, data_dir / name, str(meta.get("task", "")), sizes, reused, seconds)
