"""Where Sentinel keeps things on the host; every location can be moved by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("SENTINEL_ROOT", Path(__file__).resolve().parent.parent))
CONFIGS_DIR = PROJECT_ROOT / "configs"
IMAGES_DIR = PROJECT_ROOT / "images"
DATA_DIR = Path(os.environ.get("SENTINEL_DATA", PROJECT_ROOT / "data"))
RUNS_DIR = Path(os.environ.get("SENTINEL_RUNS", PROJECT_ROOT / "runs"))
REVIEWS_DIR = Path(os.environ.get("SENTINEL_REVIEWS", PROJECT_ROOT / "reviews"))  # offline review bundles
# Large, rebuildable material (debootstrap root, wheelhouse, artifact volume files).
CACHE_DIR = Path(os.environ.get("SENTINEL_CACHE", "/var/cache/sentinel"))
