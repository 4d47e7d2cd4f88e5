"""Every class a run config may name, with the parameters each accepts: pure data.

The host validates configs against this table before a container starts, and the container
checks again before it builds anything, so both sides must import it cheaply: no torch, no
numpy, stdlib only. A `_target_` that is not a key of `TARGETS` is never imported, except a
tier-3 model named `generated.<module>.<Class>`, whose params get the generic bounds below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "DATASET_TASKS",
    "EXPERIMENT_NAME",
    "EXPERIMENT_PARAMS",
    "FAULTS",
    "GENERATED_PARAM",
    "GENERATED_STR",
    "GENERATED_TARGET",
    "GROUPS",
    "MAX_FAULTS",
    "MAX_GENERATED_PARAMS",
    "REQUIRED",
    "SECTIONS",
    "SUPERVISED",
    "TARGETS",
    "TASKS",
    "Param",
    "Target",
    "split_target",
]

REQUIRED: Any = object()  # marks a Param without a default

TASKS = frozenset({"classification", "regression", "reconstruction"})
SUPERVISED = frozenset({"classification", "regression"})

# Dataset name -> the task its meta.json declares; the names are also the only folder names
# the runtime will open under /data, so a config can never point it elsewhere.
DATASET_TASKS: Mapping[str, str] = MappingProxyType(
    {
        "digits": "classification",
        "ppg_hr": "regression",
        "ecg_rhythm": "classification",
        "synthetic_vae": "reconstruction",
    }
)

GROUPS = ("dataset", "model", "trainer", "monitor")  # selectable with `group=name`
SECTIONS = ("experiment", *GROUPS)  # top-level keys of a resolved config

# `generated.<module>.<Class>`: both parts plain identifiers, so the module name is also a safe
# file name (`/job/generated/<module>.py`) and can never climb out of that folder.
GENERATED_TARGET = re.compile(r"^generated\.([A-Za-z_][A-Za-z0-9_]{0,63})\.([A-Za-z_][A-Za-z0-9_]{0,63})$")
MAX_GENERATED_PARAMS = 32
MAX_FAULTS = 32


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: `kind` is int|float|bool|str; bounds are inclusive; `choices` for str."""

    kind: str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True, slots=True)
class Target:
    """A buildable class: its config group, its params, and the dataset tasks it can serve."""

    group: str
    params: Mapping[str, Param]
    tasks: frozenset[str] = TASKS


def _int(default: Any, low: int, high: int, nullable: bool = False) -> Param:
    return Param("int", default, low, high, nullable=nullable)


def _float(default: Any, low: float, high: float, nullable: bool = False) -> Param:
    return Param("float", default, low, high, nullable=nullable)


def _choice(default: Any, *choices: str) -> Param:
    return Param("str", default, choices=choices)


def _params(**params: Param) -> Mapping[str, Param]:
    return MappingProxyType(params)


_ACTIVATIONS = ("relu", "gelu", "tanh", "silu")
_RT = "sentinel.sandbox.runtime"

TARGETS: Mapping[str, Target] = MappingProxyType(
    {
        f"{_RT}.datasets.ArrayDataset": Target(
            "dataset", _params(name=_choice(REQUIRED, *DATASET_TASKS)), TASKS
        ),
        f"{_RT}.models.mlp.MLP": Target(
            "model",
            _params(
                hidden=_int(128, 4, 2048),
                depth=_int(2, 1, 8),
                dropout=_float(0.0, 0.0, 0.9),
                activation=_choice("relu", *_ACTIVATIONS),
            ),
            SUPERVISED,
        ),
        f"{_RT}.models.cnn1d.CNN1d": Target(
            "model",
            _params(
                channels=_int(32, 4, 256),
                depth=_int(3, 1, 6),
                kernel_size=_int(7, 1, 31),
                dropout=_float(0.0, 0.0, 0.9),
            ),
            SUPERVISED,
        ),
        f"{_RT}.models.resnet1d.ResNet1d": Target(
            "model",
            _params(
                channels=_int(32, 4, 256),
                blocks=_int(3, 1, 8),
                kernel_size=_int(7, 1, 31),
                dropout=_float(0.0, 0.0, 0.9),
            ),
            SUPERVISED,
        ),
        f"{_RT}.models.transformer.TransformerEncoder1d": Target(
            "model",
            _params(
                d_model=_int(64, 8, 256),
                nhead=_int(4, 1, 8),
                layers=_int(2, 1, 6),
                dim_feedforward=_int(128, 8, 1024),
                patch_size=_int(8, 1, 64),
                dropout=_float(0.0, 0.0, 0.9),
            ),
            SUPERVISED,
        ),
        f"{_RT}.models.vae.VAE": Target(
            "model",
            _params(latent_dim=_int(16, 2, 128), hidden=_int(256, 16, 2048)),
            frozenset({"reconstruction"}),
        ),
        f"{_RT}.trainer.Trainer": Target(
            "trainer",
            _params(
                optimizer=_choice("adamw", "adamw", "sgd"),
                lr=_float(1.0e-3, 1.0e-8, 10.0),
                weight_decay=_float(0.0, 0.0, 1.0),
                momentum=_float(0.9, 0.0, 0.999),
                schedule=_choice("constant", "constant", "cosine", "step", "warmup"),
                warmup_steps=_int(0, 0, 100_000),
                step_size=_int(100, 1, 1_000_000),
                gamma=_float(0.5, 1.0e-3, 1.0),
                min_lr_ratio=_float(0.0, 0.0, 1.0),
                epochs=_int(10, 1, 1000),
                max_steps=_int(None, 1, 10_000_000, nullable=True),
                batch_size=_int(64, 1, 4096),
                eval_batch_size=_int(512, 1, 8192),
                grad_clip=_float(None, 1.0e-6, 1.0e6, nullable=True),
                log_every=_int(10, 1, 100_000),
                deterministic=Param("bool", True),
                checkpoint_max_mb=_float(16.0, 0.0, 40.0),
                nonfinite_patience=_int(20, 1, 10_000),
                faults=Param("faults", ()),
            ),
            TASKS,
        ),
    }
)

# Fault kinds (DESIGN.md): each entry's fields besides `kind`. Factors are bounded so a fault is
# a disturbance the benchmark can measure, not a way to make the runtime allocate without limit.
FAULTS: Mapping[str, Mapping[str, Param]] = MappingProxyType(
    {
        "lr_spike": _params(at_step=_int(REQUIRED, 1, 10_000_000), factor=_float(100.0, 1.0e-6, 1.0e6)),
        "grad_explosion": _params(
            at_step=_int(REQUIRED, 1, 10_000_000),
            factor=_float(1000.0, 1.0e-6, 1.0e12),
            duration=_int(1, 1, 100_000),
        ),
        "nan_loss": _params(at_step=_int(REQUIRED, 1, 10_000_000)),
        "bad_batch": _params(
            at_step=_int(REQUIRED, 1, 10_000_000),
            duration=_int(1, 1, 100_000),
            scale=_float(100.0, -1.0e6, 1.0e6),
        ),
    }
)

# Generic bounds for tier-3 model params: the validator has read the code, so the config only
# needs to stay plain data of a sane size.
GENERATED_PARAM: Mapping[str, Param] = MappingProxyType(
    {
        "int": _int(REQUIRED, -1_000_000, 1_000_000),
        "float": _float(REQUIRED, -1.0e6, 1.0e6),
        "bool": Param("bool"),
        "str": Param("str"),  # checked against GENERATED_STR below
    }
)
GENERATED_STR = re.compile(r"^[A-Za-z0-9_.\-]{0,64}$")

EXPERIMENT_PARAMS: Mapping[str, Param] = _params(
    name=Param("str"),
    seed=_int(0, 0, 2**31 - 1),
)
EXPERIMENT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")


def split_target(target: str) -> tuple[str, str]:
    """`a.b.C` -> (`a.b`, `C`): the module to import and the class to read from it."""
    module, _, name = target.rpartition(".")
    return module, name
