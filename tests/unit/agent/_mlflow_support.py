"""A fresh MLflow sqlite tracking store per test without paying MLflow's schema migrations each
time: the first call migrates one empty database per test process, later calls copy it."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

__all__ = ["fresh_tracking_uri"]


@functools.cache
def _migrated() -> Path:
    from mlflow import MlflowClient

    db = Path(tempfile.mkdtemp(prefix="sentinel-mlflow-")) / "empty.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()  # creates and migrates it
    return db


def fresh_tracking_uri(folder: Path) -> str:
    """`sqlite:////<folder>/mlflow.db`, an empty, migrated MLflow store of its own."""
    db = folder / "mlflow.db"
    shutil.copyfile(_migrated(), db)
    return f"sqlite:///{db}"
