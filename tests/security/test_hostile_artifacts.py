"""A run that writes hostile artifacts gets `artifact_rejected`; the host never follows or crashes."""

from __future__ import annotations

import json
import textwrap

import pytest

pytestmark = pytest.mark.docker

GOOD_SUMMARY = {
    "status": "completed",
    "epochs": 1,
    "steps": 1,
    "best": {"epoch": 0, "step": 1, "val/loss": 0.5},
    "final": {"epoch": 0, "step": 1, "val/loss": 0.5},
}


def _writer(files: dict[str, str], symlinks: dict[str, str] | None = None) -> str:
    return textwrap.dedent(f"""
        import json, os
        files = json.loads({json.dumps(json.dumps(files))})
        for name, text in files.items():
            open("/artifacts/" + name, "w").write(text)
        for name, target in json.loads({json.dumps(json.dumps(symlinks or {}))}).items():
            os.symlink(target, "/artifacts/" + name)
    """)


def _summary() -> str:
    return json.dumps(GOOD_SUMMARY)


def test_symlink_to_a_host_file_is_rejected_not_followed(run_payload):
    # Inside the container /etc/passwd is the image's; on the host the link would resolve to the
    # host's /etc/passwd. Either way the reader must refuse the link itself.
    result = run_payload(_writer({"summary.json": _summary()}, {"metrics.jsonl": "/etc/passwd"}))
    assert result.status == "artifact_rejected"
    assert "metrics.jsonl" in result.reason
    assert not (result.out_dir / "artifacts" / "metrics.jsonl").exists()
    assert "root:" not in (result.out_dir / "stdout.log").read_text()


def test_oversized_line_is_rejected(run_payload):
    line = json.dumps(
        {
            "step": 1,
            "epoch": 0,
            "split": "train",
            "loss": 1.0,
            "grad_norm": 1.0,
            "lr": 0.1,
            "pad": "x" * 100_000,
        }
    )
    result = run_payload(_writer({"metrics.jsonl": line + "\n", "summary.json": _summary()}))
    assert result.status == "artifact_rejected"


def test_malformed_json_is_rejected(run_payload):
    result = run_payload(_writer({"metrics.jsonl": '{"step": 1, "epoch": 0,\n', "summary.json": _summary()}))
    assert result.status == "artifact_rejected"


def test_bare_nan_literal_is_rejected(run_payload):
    line = '{"step": 1, "epoch": 0, "split": "train", "loss": NaN, "grad_norm": 1.0, "lr": 0.1}\n'
    result = run_payload(_writer({"metrics.jsonl": line, "summary.json": _summary()}))
    assert result.status == "artifact_rejected"


def test_null_with_nonfinite_flag_parses_as_nan(run_payload):
    line = json.dumps(
        {
            "step": 1,
            "epoch": 0,
            "split": "train",
            "loss": None,
            "grad_norm": 1.0,
            "lr": 0.1,
            "nonfinite": ["loss"],
        }
    )
    result = run_payload(_writer({"metrics.jsonl": line + "\n", "summary.json": _summary()}))
    # Exit 0 with a completed summary: the artifacts are accepted and the NaN is preserved.
    assert result.artifacts.accepted, result.reason
    loss = result.artifacts.metrics[0].loss
    assert loss != loss
