from pathlib import Path

import pytest

from sentinel.sandbox.errors import BadRunInput
from sentinel.sandbox.hardening import container_environment, create_kwargs, host_config_kwargs
from sentinel.sandbox.spec import RunLimits, RunSpec, parse_size


def _spec(tmp_path: Path, **kw) -> RunSpec:
    return RunSpec(run_id="run-abc", image="img:1", data_dir=tmp_path, **kw)


def test_host_config_is_the_hardened_set(tmp_path):
    hc = host_config_kwargs(_spec(tmp_path), tmp_path / "art")
    assert hc["network_mode"] == "none"
    assert hc["read_only"] is True
    assert hc["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in hc["security_opt"]
    assert any(opt.startswith("seccomp={") for opt in hc["security_opt"])
    assert hc["memswap_limit"] == hc["mem_limit"]
    assert hc["init"] is False  # Sentinel's supervisor is PID 1 (undumpable), not Docker's init
    assert hc["privileged"] is False
    assert "noexec" in hc["tmpfs"]["/tmp"] and "nosuid" in hc["tmpfs"]["/tmp"]
    assert set(hc["binds"]) == {str(tmp_path), str(tmp_path / "art")}
    assert hc["binds"][str(tmp_path)]["mode"].startswith("ro")
    names = {u["Name"] for u in hc["ulimits"]}
    assert {"nofile", "nproc", "fsize"} <= names
    assert hc["log_config"]["Config"]["max-size"]


def test_no_docker_socket_or_extra_host_paths(tmp_path):
    hc = host_config_kwargs(_spec(tmp_path), tmp_path / "art")
    assert not any("docker.sock" in path for path in hc["binds"])
    assert "devices" not in hc and "volumes_from" not in hc


def test_gvisor_uses_runsc(tmp_path):
    assert host_config_kwargs(_spec(tmp_path, isolation="gvisor"), tmp_path)["runtime"] == "runsc"
    assert host_config_kwargs(_spec(tmp_path), tmp_path)["runtime"] == "runc"


def test_container_runs_as_nobody_with_a_fixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-me")
    kwargs = create_kwargs(_spec(tmp_path))
    assert kwargs["user"] == "65534:65534"
    assert kwargs["network_disabled"] is True
    assert "leak-me" not in str(container_environment(_spec(tmp_path)))


@pytest.mark.parametrize("bad", [{"isolation": "kvm"}, {"run_id": "Bad Id"}])
def test_spec_rejects_bad_values(tmp_path, bad):
    with pytest.raises(BadRunInput):
        RunSpec(**{"run_id": "run-abc", "image": "i", "data_dir": tmp_path, **bad})


def test_limits_and_sizes_are_validated():
    assert parse_size("2g") == 2 * 1024**3 and parse_size("512m") == 512 * 1024**2
    with pytest.raises(BadRunInput):
        parse_size("lots")
    with pytest.raises(BadRunInput):
        RunLimits(timeout_s=0)
    with pytest.raises(BadRunInput):
        RunLimits(memory_bytes=1024)
