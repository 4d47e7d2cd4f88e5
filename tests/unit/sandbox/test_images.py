import shutil
from pathlib import Path

from sentinel.sandbox import images


def _project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for name in ("setup.py", "pyproject.toml"):
        (root).mkdir(exist_ok=True)
        shutil.copy(images.PROJECT_ROOT / name, root / name)
    for folder in images.WHEEL_SOURCES:
        (root / folder).mkdir()
        (root / folder / "__init__.py").write_text("")
    return root


def test_runtime_hash_is_stable_and_tracks_sources(tmp_path):
    root = _project_copy(tmp_path)
    first = images.runtime_hash("base:1", root)
    assert images.runtime_hash("base:1", root) == first
    (root / "sandbox" / "new.py").write_text("x = 1\n")
    assert images.runtime_hash("base:1", root) != first
    assert images.runtime_hash("base:2", root) != images.runtime_hash("base:1", root)


def test_runtime_hash_ignores_bytecode(tmp_path):
    root = _project_copy(tmp_path)
    first = images.runtime_hash("b", root)
    (root / "agent" / "__pycache__").mkdir()
    (root / "agent" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert images.runtime_hash("b", root) == first


def test_base_hash_depends_on_the_lock_and_the_base_name():
    assert images.base_hash(None) == images.base_hash(None)
    assert images.base_hash(None) != images.base_hash("python:3.11-slim")


def test_run_image_context_holds_only_the_job(tmp_path):
    context = images._tar_context({"Dockerfile": b"FROM x\n", "job/config.yaml": b"a: 1\n"})
    import tarfile

    with tarfile.open(fileobj=context) as tar:
        names = tar.getnames()
        modes = {m.name: m.mode for m in tar.getmembers()}
    assert names == ["Dockerfile", "job/config.yaml"]
    assert modes["job/config.yaml"] == 0o444
