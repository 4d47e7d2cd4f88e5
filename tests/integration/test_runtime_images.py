"""Runtime images: content-hash cache, the registry (Dockerfile) route, and what the image holds."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker


def _run(engine, image: str, code: str) -> tuple[int, str]:
    host_config = engine.create_host_config(network_mode="none", read_only=True)
    container_id = engine.create_container(image, ["python", "-c", code], host_config, user="65534:65534")
    try:
        engine.start(container_id)
        exit_code = engine.wait(container_id, timeout_s=120)
        return exit_code or 0, engine.logs_tail(container_id, 4096).decode(errors="replace")
    finally:
        engine.remove_container(container_id)


def test_unchanged_inputs_are_a_cache_hit(engine, runtime_image):
    from sentinel.sandbox.images import ensure_runtime_image

    again = ensure_runtime_image(engine)
    assert again.built is False
    assert again.tag == runtime_image


def test_runtime_image_holds_runtime_dependencies_only(engine, runtime_image):
    code = (
        "import importlib.util as u, shutil, json\n"
        "print(json.dumps({m: bool(u.find_spec(m)) for m in "
        "['torch', 'numpy', 'yaml', 'einops', 'sentinel.sandbox.runtime', 'sentinel.monitor', "
        "'docker', 'smolagents', 'omegaconf', 'sklearn', 'pip']} | "
        "{'gcc': bool(shutil.which('gcc')), 'cc': bool(shutil.which('cc'))}))\n"
    )
    exit_code, out = _run(engine, runtime_image, code)
    assert exit_code == 0, out
    import json

    found = json.loads(out.strip().splitlines()[-1])
    for present in ("torch", "numpy", "yaml", "einops", "sentinel.sandbox.runtime", "sentinel.monitor"):
        assert found[present], present
    for absent in ("docker", "smolagents", "omegaconf", "sklearn", "pip", "gcc", "cc"):
        assert not found[absent], absent


def test_dockerfile_route_builds_from_a_given_base(engine, runtime_image):
    """The registry route, fed here with a local image so it needs no registry."""
    from sentinel.sandbox.images import BASE_REPO, base_hash, ensure_runtime_image

    local_base = f"{BASE_REPO}:{base_hash(None)}"
    assert engine.image_id(local_base), "the air-gapped base should exist beside the runtime image"
    built = ensure_runtime_image(engine, base=local_base)
    try:
        assert built.built and built.tag != runtime_image
        exit_code, out = _run(
            engine, built.tag, "import torch, einops, sentinel.sandbox.runtime; print('ok')"
        )
        assert exit_code == 0 and out.strip().endswith("ok"), out
    finally:
        engine.remove_image(built.tag)
        engine.remove_image(f"{BASE_REPO}:{base_hash(local_base)}")
