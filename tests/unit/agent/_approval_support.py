"""Test support for the approval hooks and review bundles: a tiny real brain, a launcher faked only at
the transport seam (it writes real artifact files that the hostile reader parses), and a driver that
runs the real `sentinel` CLI in a child process with that seam in place.

Run as a script (`python _approval_support.py campaign run digits:quick --approval offline`), it is
the `sentinel` command with two replacements: the container launch (no Docker: artifacts are
written as a completed run would write them) and the brain (learning rates from SENTINEL_TEST_LRS,
registered as the strategist, which the CLI asks for by name). Everything else - option parsing,
the campaign loop, the store, approval hooks, bundles, exit codes - is the real code.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import types
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.campaign import CampaignRunner
from sentinel.agent.campaign.approval import ApprovalHook
from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.goals import CampaignGoal, load_goal
from sentinel.agent.launch import LaunchOutcome, LaunchRequest
from sentinel.agent.store import FeedbackStore
from sentinel.contract.records import RunResult, TrustedMetrics
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.paths import CONFIGS_DIR

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, also when run as a script
from _support import honest_trusted

SCRIPT = Path(__file__).resolve()
DEFAULT_LRS = (0.02, 0.005, 0.03, 0.002, 0.015, 0.04)  # none reaches the goal target (0.99)


class ListBrain(Brain):
    """Proposes the given learning rates in order (one per proposal it has made), then nothing."""

    name: ClassVar[str] = "listbrain"

    def __init__(self, lrs: tuple[float, ...] = DEFAULT_LRS) -> None:
        self.lrs = lrs

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        mine = [p for p in ctx.store.proposals(ctx.campaign_id) if p.brain == self.name]
        if len(mine) >= len(self.lrs):
            return None
        lr = self.lrs[len(mine)]
        return Proposal(tier=1, overrides={"trainer.lr": lr}, rationale=f"try learning rate {lr:g}")


class ArtifactLauncher:
    """Writes contract-shaped artifacts whose val/acc depends on the LR, plus the request it got."""

    def __init__(self) -> None:
        self.calls: list[LaunchRequest] = []

    def __call__(self, resolved: ResolvedConfig, request: LaunchRequest, on_progress=None) -> LaunchOutcome:
        self.calls.append(request)
        assert request.out_dir is not None and request.run_id is not None
        overrides = dict(o.split("=", 1) for o in request.overrides)
        lr = float(overrides.get("trainer.lr", 0.003))
        acc = max(0.1, 1.0 - abs(lr - 0.01) * 10)
        art = request.out_dir / "artifacts"
        art.mkdir(parents=True)
        (request.out_dir / "request.json").write_text(
            json.dumps({"overrides": list(request.overrides), "approval_digest": request.approval_digest})
        )
        (art / "metrics.jsonl").write_text(
            json.dumps({"step": 10, "epoch": 0, "split": "val", "loss": 1 - acc, "acc": acc}) + "\n"
        )
        point = {"epoch": 0, "step": 10, "val/loss": 1 - acc, "val/acc": acc}
        (art / "summary.json").write_text(
            json.dumps({"status": "completed", "epochs": 1, "steps": 10, "best": point, "final": point})
        )
        arts = read_artifacts(art)
        trusted = TrustedMetrics(values=honest_trusted(arts) or {})
        result = RunResult(request.run_id, "completed", "the run exited with code 0", 0, False, False, "runc",
                           "img", 1.0, request.out_dir, "", arts, trusted)  # fmt: skip
        return LaunchOutcome(
            request.run_id, "completed", "the run exited with code 0", request.out_dir, result=result
        )


def no_engine(monkeypatch=None) -> None:
    """The loop reaps orphan containers through the engine; with a fake launcher there are none."""
    import sentinel.sandbox.engine as engine_mod
    import sentinel.sandbox.run as run_mod

    def reap(engine: object) -> list:
        return []

    if monkeypatch is None:
        run_mod.reap_orphans, engine_mod.Engine = reap, EmptyEngine  # type: ignore[assignment]
    else:
        monkeypatch.setattr(run_mod, "reap_orphans", reap)
        monkeypatch.setattr(engine_mod, "Engine", EmptyEngine)


class EmptyEngine:
    """An engine with no containers and no images: the transport seam, faked."""

    def __init__(self, *args, **kwargs) -> None:
        return None

    def ping(self) -> bool:
        return True

    def containers_with_label(self, label: str) -> list[str]:
        return []

    def container_info(self, container_id: str) -> None:
        return None

    def image_labels(self, ref: str) -> dict[str, str]:
        from sentinel.sandbox.errors import SandboxError

        raise SandboxError(f"no image {ref}")


def goal(runs: int = 2, target: float | None = None) -> CampaignGoal:
    return replace(load_goal("digits:quick").with_budget(runs), target=target)


def runner(
    store: FeedbackStore,
    hook: ApprovalHook,
    runs_dir: Path,
    launcher: ArtifactLauncher,
    brain: Brain | None = None,
    configs_dir: Path = CONFIGS_DIR,
) -> CampaignRunner:
    return CampaignRunner(
        store, brain or ListBrain(), hook, configs_dir=configs_dir, runs_dir=runs_dir, launcher=launcher
    )


def generated_model_source(hidden: int = 256) -> str:
    """A tier-3 model as a generator would write it: the built-in MLP, renamed and widened."""
    from sentinel.agent.review.content import builtin_models_dir

    source = (builtin_models_dir() / "mlp.py").read_text()
    return source.replace("class MLP(", "class WideMLP(").replace(
        "hidden: int = 128", f"hidden: int = {hidden}"
    )


def configs_with_generated_model(target: Path, copy_configs: bool = True) -> Path:
    """A private copy of configs/ with the generated model `wide_mlp` registered (validator first);
    `copy_configs=False`: only the registration, e.g. into a campaign's runs/<campaign> folder."""
    from sentinel.validator import register_generated_model

    if copy_configs:
        shutil.copytree(CONFIGS_DIR, target, ignore=shutil.ignore_patterns("generated"))
    else:
        target.mkdir(parents=True, exist_ok=True)
    register_generated_model(generated_model_source(), "wide_mlp", target)
    return target


def main(argv: list[str]) -> None:
    """The `sentinel` CLI with the container launch and the brain replaced (see the module doc)."""
    import sentinel.agent.launch as launch_mod

    lrs = tuple(float(x) for x in os.environ.get("SENTINEL_TEST_LRS", "").split(",") if x) or DEFAULT_LRS

    class StrategistBrain(ListBrain):
        name: ClassVar[str] = "strategist"

        def __init__(self) -> None:
            super().__init__(lrs)

    no_engine()
    launch_mod.launch_run = ArtifactLauncher()  # type: ignore[assignment]
    strategist = types.ModuleType("sentinel.agent.brains.strategist")
    strategist.StrategistBrain = StrategistBrain  # type: ignore[attr-defined]
    sys.modules["sentinel.agent.brains.strategist"] = strategist
    from sentinel.agent.cli.main import main as sentinel_main

    sys.argv = ["sentinel", *argv]
    sentinel_main()


if __name__ == "__main__":
    main(sys.argv[1:])
