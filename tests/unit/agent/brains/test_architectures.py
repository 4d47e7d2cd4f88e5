"""Tier-3 architectures: every rendered genome passes the validator, is real libcst-built source,
and trains through the container's code path (`python -m sentinel.sandbox.runtime` as a
subprocess) on signal inputs (batch, 1, 64) and flat inputs (batch, 64). The test process never
imports generated code, exactly like the host."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import libcst as cst
import numpy as np
import pytest

from sentinel.agent.brains._architectures import BLOCKS, Genome, Hints, Stage, design, render
from sentinel.agent.configs import compose
from sentinel.sandbox.data import prepare_all
from sentinel.sandbox.paths import CONFIGS_DIR
from sentinel.validator import register_generated_model, validate_source

FAMILIES = (None, "mlp", "cnn1d", "resnet1d", "transformer", "generated")
EVERY_BLOCK = Genome(
    stages=(Stage("conv", 1, 1, "max"), Stage("residual", 2, 2, "avg"), Stage("conv", 1, 4, "none")),
    attention=True,
    heads=4,
    head_pool="meanmax",
    activation="silu",
    width=16,
    kernel_size=4,  # even on purpose: the model must make it odd for the residual sums to line up
    dropout=0.1,
)


def _genomes(n: int) -> list[Genome]:
    return [
        design(seed, f"camp|{seed}", Hints(FAMILIES[seed % 6], (None, 8, 16, 64)[seed % 4]))
        for seed in range(n)
    ]


@pytest.mark.parametrize(
    "genome", [*_genomes(40), EVERY_BLOCK], ids=lambda g: hashlib.sha1(repr(g).encode()).hexdigest()[:8]
)
def test_rendered_source_passes_the_tier3_policy(genome: Genome) -> None:
    source = render(genome, "GeneratedNet", "Generated for a test.")
    report = validate_source(source, class_name="GeneratedNet", filename="generated/models/x.py")
    assert report.accepted, [(v.code, v.line, v.message) for v in report.violations]
    assert report.entry_points == ("GeneratedNet",)
    assert cst.parse_module(source).code == source  # a real syntax tree, printed back unchanged
    compile(source, "generated.py", "exec")  # syntax only: the host never executes it


def test_design_is_a_function_of_seed_salt_and_hints() -> None:
    assert design(3, "a|1", Hints("cnn1d", 16)) == design(3, "a|1", Hints("cnn1d", 16))
    drawn = {design(seed, "a|1", Hints("cnn1d", 16)) for seed in range(20)}
    assert len(drawn) >= 15  # different seeds explore different architectures
    assert design(3, "a|1") != design(3, "a|2") or design(4, "a|1") != design(4, "a|2")


def test_seeds_cover_every_block_template() -> None:
    covered = set().union(*(g.blocks for g in _genomes(40)))
    assert covered == set(BLOCKS)
    widths = {g.width for g in _genomes(40)}
    depths = {sum(s.repeats for s in g.stages) for g in _genomes(40)}
    assert len(widths) >= 2 and len(depths) >= 3


def test_only_the_blocks_a_genome_uses_are_emitted() -> None:
    plain = Genome((Stage("conv", 1, 1, "max"),), False, 2, "mean", "relu", 16, 3, 0.0)
    source = render(plain)
    assert "class ConvBlock" in source and "ResidualBlock" not in source and "AttentionBlock" not in source
    assert "F.relu" in source and "ACTIVATION" not in source
    assert "class AttentionBlock" in render(EVERY_BLOCK) and "F.silu" in render(EVERY_BLOCK)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stages": ()},
        {"stages": (Stage("attention", 1, 1, "max"),)},
        {"activation": "sigmoid"},
        {"head_pool": "max"},
        {"stages": (Stage("conv", 1, 9, "max"),)},
    ],
)
def test_malformed_genomes_are_refused(kwargs: dict[str, Any]) -> None:
    base = {"stages": (Stage("conv", 1, 1, "max"),), "attention": False, "heads": 2, "head_pool": "mean",
            "activation": "relu", "width": 16, "kernel_size": 3, "dropout": 0.0}  # fmt: skip
    with pytest.raises(ValueError):
        Genome(**{**base, **kwargs})


# forward and backward passes through the runtime entrypoint ------------------------------------
@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """digits as prepared ((n, 1, 64) signals) and the same images as flat (n, 64) features."""
    signal = tmp_path_factory.mktemp("signal-data")
    prepare_all(signal, names=["digits"], scale=0.3, workers=1)
    flat = tmp_path_factory.mktemp("flat-data")
    (flat / "digits").mkdir()
    files = {}
    for name in ("train.npz", "val.npz", "test_inputs.npz"):
        with np.load(signal / "digits" / name) as arrays:
            flattened = {k: (v.reshape(len(v), -1) if k == "x" else v) for k, v in arrays.items()}
        np.savez_compressed(flat / "digits" / name, **flattened)
    meta = json.loads((signal / "digits" / "meta.json").read_text())
    (flat / "digits" / "meta.json").write_text(json.dumps({**meta, "input_shape": [64]}))
    for path in sorted((flat / "digits").iterdir()):
        files[f"digits/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (flat / "MANIFEST.json").write_text(json.dumps({"version": 2, "files": files}))
    return {"signal": signal, "flat": flat}


def _start(folder: Path, config: dict[str, Any], data: Path, generated: Path) -> subprocess.Popen[str]:
    (folder / "artifacts").mkdir(parents=True)
    (folder / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    paths = {"--config": folder / "config.yaml", "--data": data, "--artifacts": folder / "artifacts"}
    args = [sys.executable, "-m", "sentinel.sandbox.runtime", "--generated", str(generated)]
    args += [part for flag, path in paths.items() for part in (flag, str(path))]
    env = {**os.environ, "SENTINEL_CPUS": "1"}
    return subprocess.Popen(
        args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow  # eight short trainings, each a fresh interpreter importing torch
def test_generated_models_train_in_the_runtime_on_signal_and_flat_inputs(
    data_dirs: dict[str, Path], tmp_path: Path
) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS_DIR, configs, ignore=shutil.ignore_patterns("generated"))
    models = {f"arch_seed{seed}": g for seed, g in enumerate(_genomes(3))} | {"arch_every": EVERY_BLOCK}
    jobs = []
    for name, genome in models.items():
        register_generated_model(
            render(genome, "GeneratedNet"), name, configs, "GeneratedNet", genome.params()
        )
        overrides = [f"model={name}", "trainer.epochs=1", "trainer.max_steps=6", "monitor.enabled=false"]
        config = compose("digits", overrides, configs).config
        for kind, data in data_dirs.items():
            jobs.append((f"{name}/{kind}", config, data))
    generated = configs / "generated" / "models"
    results = {}
    for i in range(0, len(jobs), 2):  # two at a time: one thread each, like a 1-CPU container
        batch = [
            (label, _start(tmp_path / "runs" / label, cfg, data, generated))
            for label, cfg, data in jobs[i : i + 2]
        ]
        for label, proc in batch:
            _, err = proc.communicate(timeout=300)
            results[label] = (proc.returncode, err)
    for label, (code, err) in results.items():
        assert code == 0, (label, err[-1500:])
        summary = json.loads((tmp_path / "runs" / label / "artifacts" / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["steps"] == 6, (label, summary)
        assert 0.0 <= summary["best"]["val/acc"] <= 1.0
