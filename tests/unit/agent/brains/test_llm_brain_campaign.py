"""The LLM brain in the real campaign loop: a scripted smolagents Model drives the real CodeAgent and
ToolCallingAgent over the real tools and store; the container launch is faked only at the
transport seam (real artifact files, read back by the hostile reader). Also: tool errors and
validator rejections keep the agent going, a model that never proposes ends the campaign with a
note, a failing endpoint leaves it resumable, and an API key reaches neither the store nor a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _approval_support import ArtifactLauncher, goal, no_engine, runner
from test_llm_brain import TINY_MODEL
from test_llm_brain_support import ScriptedModel, calls, code, observations, text_of

from sentinel.agent.brains._base import CampaignContext
from sentinel.agent.brains.llm import LLMBrain, LLMUnavailable
from sentinel.agent.campaign import AutoApproval
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR

FAKE_KEY = "sk-sentinel-test-0f1e2d3c4b5a69788796a5b4"


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    root = tmp_path / "configs"
    shutil.copytree(CONFIGS_DIR, root, ignore=shutil.ignore_patterns("generated"))
    return root


def _last_run_id(store: FeedbackStore) -> str:
    [campaign] = store.list_campaigns()
    return store.history(campaign.id)[-1].run_id


def test_code_agent_drives_a_short_campaign(tmp_path: Path, configs: Path) -> None:
    store, notes, launcher = FeedbackStore(tmp_path / "f.db"), [], ArtifactLauncher()
    model = ScriptedModel(
        [
            code("print(get_experiment_history(last=10))\nprint(suggest_search_space())"),
            code('run_training(overrides=["model=mlp", "trainer.lr=0.02"], rationale="Baseline at 0.02.")'),
            lambda _: code(f'print(read_run_results(run_id="{_last_run_id(store)}"))'),
            lambda _: code(
                'print(run_training(overrides=["model=mlp", "trainer.lr=0.01"], '
                f'rationale="Half the rate of the first run.", parent_run="{_last_run_id(store)}"))'
            ),
        ]
    )
    brain = LLMBrain(model, on_note=notes.append)
    outcome = runner(store, AutoApproval(), tmp_path / "runs", launcher, brain, configs).start(goal(2), 3)

    assert outcome.state == "finished" and outcome.runs == 2 and len(launcher.calls) == 2
    assert [c.overrides for c in launcher.calls] == [
        ("model=mlp", "trainer.lr=0.02"),
        ("model=mlp", "trainer.lr=0.01"),
    ]
    first, second = store.proposals(outcome.campaign_id)
    assert first.brain == second.brain == "llm" and second.parent_id == first.id
    assert second.rationale == "Half the rate of the first run. (LLM brain, model scripted-model)"
    assert model.calls() == 4 and len(notes) == 2 and "proposal after 2 step(s)" in notes[0]
    seen = "\n".join(observations(model))
    assert "status completed" in seen and "BEGIN DATA run" in seen  # it read the first run's numbers


def test_tool_calling_agent_drives_a_short_campaign(tmp_path: Path, configs: Path) -> None:
    store, launcher = FeedbackStore(tmp_path / "f.db"), ArtifactLauncher()
    model = ScriptedModel(
        [
            calls(("get_experiment_history", {"last": 5}), ("check_drift", {})),
            calls(("run_training", {"overrides": ["trainer.lr=0.02"], "rationale": "First look."})),
            lambda _: calls(("compare_runs", {"run_ids": [_last_run_id(store)]})),
            calls(("run_training", {"overrides": ["trainer.lr=0.005"], "rationale": "Lower."})),
        ]
    )
    brain = LLMBrain(model, agent_style="tools")
    outcome = runner(store, AutoApproval(), tmp_path / "runs", launcher, brain, configs).start(goal(2), 3)
    assert outcome.state == "finished" and outcome.runs == 2
    assert [c.overrides for c in launcher.calls] == [("trainer.lr=0.02",), ("trainer.lr=0.005",)]
    # compare_runs needs two ids: the tool's refusal came back as an observation
    assert "run_ids must be a list of 2..8 run ids" in text_of(model.received[3])
    assert [p.state for p in store.proposals(outcome.campaign_id)] == ["finished", "finished"]


@pytest.mark.parametrize("style", ["code", "tools"])
def test_tool_errors_and_validator_rejections_keep_the_agent_going(configs: Path, style: str) -> None:
    store = FeedbackStore(configs.parent / "f.db")
    the_goal = load_goal("digits:quick")
    store.create_campaign(the_goal, seed=1, campaign_id="camp-1")
    ctx = CampaignContext("camp-1", the_goal, store, configs, seed=1, tier=3)
    bad_model = "import os\n" + TINY_MODEL
    steps = [
        ("get_experiment_history", {"last": 0}),
        ("register_generated_model", {"source": bad_model, "name": "tiny"}),
        ("register_generated_model", {"source": TINY_MODEL, "name": "tiny"}),
        ("run_training", {"overrides": ["model=tiny_typo"], "rationale": "New architecture."}),
        ("run_training", {"overrides": ["model=tiny", "trainer.lr=0.01"], "rationale": "New architecture."}),
    ]
    if style == "code":
        script = [code("import math\nprint(math.pi)")]
        script += [code(f"print({name}(**{args!r}))") for name, args in steps]
    else:
        script = [calls(("no_such_tool", {}))] + [calls(step) for step in steps]
    model = ScriptedModel(script)
    proposal = LLMBrain(model, agent_style=style).propose(ctx)

    assert proposal is not None and proposal.tier == 3 and proposal.model_ref == "tiny"
    assert dict(proposal.overrides) == {"model": "tiny", "trainer.lr": 0.01}
    assert model.calls() == 6
    seen = text_of(model.received[-1])
    first_error = "Import of math is not allowed" if style == "code" else "Unknown tool no_such_tool"
    for expected in (
        first_error,
        "last must be an integer in 1..100, got 0",
        "rejected: the validator found",
        "accepted: registered model tiny",
        "cannot compose",
    ):
        assert expected in seen, expected
    assert not (configs / "generated" / "models" / "tiny_typo.yaml").exists()


def test_a_model_that_never_proposes_ends_the_campaign_with_a_note(tmp_path: Path, configs: Path) -> None:
    store, notes, launcher = FeedbackStore(tmp_path / "f.db"), [], ArtifactLauncher()
    model = ScriptedModel([code("print(check_drift())")] * 4)
    brain = LLMBrain(model, max_steps=2, attempts=2, on_note=notes.append)
    outcome = runner(store, AutoApproval(), tmp_path / "runs", launcher, brain, configs).start(goal(2), 3)
    assert outcome.state == "no_proposal" and outcome.reason == "the brain made no proposal at all"
    assert store.get_campaign(outcome.campaign_id).state == "failed"  # resumable, never "finished"
    assert launcher.calls == [] and store.proposals(outcome.campaign_id) == []
    assert model.calls() == 4  # two attempts of two steps; no extra "final answer" call
    assert "attempt 1/2 ended without a proposal" in notes[0]
    assert "no valid proposal in 2 attempts of up to 2 steps; nothing was recorded" in notes[-1]
    assert "this is attempt 2 of 2" in text_of(model.received[2])


def test_a_final_answer_without_a_proposal_is_the_model_declining(tmp_path: Path, configs: Path) -> None:
    store, notes = FeedbackStore(tmp_path / "f.db"), []
    model = ScriptedModel([code('final_answer("every [bold]option[/bold] is tried")')])
    brain = LLMBrain(model, on_note=notes.append)
    outcome = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), brain, configs).start(
        goal(2), 3
    )
    assert outcome.state == "no_proposal" and model.calls() == 1
    assert notes == [
        r"LLM brain (scripted-model) proposes nothing more: every \[bold]option\[/bold] is tried"
    ]


def test_a_failing_endpoint_leaves_the_campaign_resumable(
    tmp_path: Path, configs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTINEL_LLM_API_KEY", FAKE_KEY)

    def refuse(_: object) -> str:
        raise ConnectionError(f"401 from the provider: key {FAKE_KEY} refused\ndetails")

    store, launcher = FeedbackStore(tmp_path / "f.db"), ArtifactLauncher()
    broken = LLMBrain(ScriptedModel([refuse]))
    with pytest.raises(LLMUnavailable) as err:
        runner(store, AutoApproval(), tmp_path / "runs", launcher, broken, configs).start(goal(1), 3)
    assert err.value.exit_code == 3 and FAKE_KEY not in str(err.value)
    [campaign] = store.list_campaigns()
    assert str(err.value) == (
        "the LLM endpoint (scripted-model) failed: ConnectionError: 401 from the provider: key [redacted] "
        f"refused; campaign {campaign.id} is saved: fix the endpoint, then run "
        f"`sentinel campaign resume {campaign.id}`"
    )
    assert campaign.state == "failed" and launcher.calls == []

    fixed = LLMBrain(ScriptedModel([code('run_training(overrides=["trainer.lr=0.02"], rationale="Retry.")')]))
    outcome = runner(store, AutoApproval(), tmp_path / "runs", launcher, fixed, configs).resume(campaign.id)
    assert outcome.state == "finished" and outcome.runs == 1


def test_an_api_key_reaches_neither_the_store_nor_the_runs_folder(
    tmp_path: Path, configs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTINEL_LLM_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY[::-1])
    store, runs = FeedbackStore(tmp_path / "f.db"), tmp_path / "runs"
    leak = f"Try 0.02; my key is {FAKE_KEY} and {FAKE_KEY[::-1]}."  # as if the model had echoed them
    model = ScriptedModel([code(f'run_training(overrides=["trainer.lr=0.02"], rationale="{leak}")')])
    outcome = runner(store, AutoApproval(), runs, ArtifactLauncher(), LLMBrain(model), configs).start(
        goal(1), 3
    )
    assert outcome.state == "finished" and outcome.runs == 1
    [proposal] = store.proposals(outcome.campaign_id)
    assert proposal.rationale.startswith("Try 0.02; my key is [redacted] and [redacted].")
    store.close()
    written = [p for p in [*tmp_path.glob("f.db*"), *runs.rglob("*")] if p.is_file()]
    assert any(p.suffix == ".html" for p in written)  # the dashboard is among the files searched
    for path in written:
        data = path.read_bytes()
        assert FAKE_KEY.encode() not in data and FAKE_KEY[::-1].encode() not in data, path
    assert FAKE_KEY not in text_of(model.received[0])  # and the model is never told the key


def test_proposing_starts_no_process_and_launches_nothing(
    configs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess

    import sentinel.agent.launch as launch_mod

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the brain started a process or a run")

    for target, name in ((subprocess, "Popen"), (os, "system"), (os, "fork"), (launch_mod, "launch_run")):
        monkeypatch.setattr(target, name, forbidden)
    store = FeedbackStore(configs.parent / "f.db")
    the_goal = load_goal("digits:quick")
    store.create_campaign(the_goal, seed=1, campaign_id="camp-1")
    ctx = CampaignContext("camp-1", the_goal, store, configs, seed=1, tier=1)
    script = [code('print(run_training(overrides=["trainer.lr=0.02"], rationale="Baseline."))')]
    proposal = LLMBrain(ScriptedModel(script)).propose(ctx)
    assert proposal is not None and store.proposals("camp-1") == []  # the loop records it, then runs it
