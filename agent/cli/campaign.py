"""`sentinel campaign run|resume|status|list`: unattended campaigns on the offline strategist or
an LLM (`--brain llm --model SPEC [--api-base URL]`, docs/llm_brain.md).

Folders: `--runs-dir DIR` (else SENTINEL_RUNS, else ./runs) holds the FeedbackStore
(`feedback.db`), every run folder and each campaign's generated configs and models; goals are
read from SENTINEL_CAMPAIGNS (else ./campaigns) when addressed as group:name."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from sentinel.agent.cli._exit import EXIT_FAILED, EXIT_PAUSED, mapped_errors
from sentinel.agent.cli._output import console, emit_json, err_console

app = typer.Typer(help="Experiment campaigns.", no_args_is_help=True)

BRAINS = ("strategist", "llm")
LLM_ENV = {"model": "SENTINEL_LLM_MODEL", "api_base": "SENTINEL_LLM_API_BASE"}
APPROVAL_HELP = (
    "auto, terminal, offline (review bundles, exit 4) or policy:MODULE:FUNCTION (see docs/approval.md)."
)
MODEL_HELP = "--brain llm: a LiteLLM name (anthropic/..., openai/...) or the model served at --api-base."
API_BASE_HELP = "--brain llm: an OpenAI-compatible server (vLLM, Ollama), e.g. http://127.0.0.1:8000/v1."
STYLE_HELP = "--brain llm: code (CodeAgent, default) or tools (ToolCallingAgent). Keys: SENTINEL_LLM_API_KEY."
EXECUTOR_HELP = "local (this machine, default) or ray (a Ray cluster's Docker nodes; docs/scale-out.md)."
RAY_ADDRESS_HELP = "--executor ray: the head's GCS host:port on a private interface (default: auto)."


RUNS_HELP = "Runs folder: store, run folders, generated configs (default: SENTINEL_RUNS or ./runs)."
TARGET_HELP = "Finish early once the goal metric reaches this value; 'none' removes the goal's target."
START_TIER_HELP = "Start at this tier (1..the goal's max_tier) instead of climbing from tier 1."


def _runs_dir(runs_dir: Path | None) -> Path:
    from sentinel.agent.errors import BadInput
    from sentinel.sandbox.paths import RUNS_DIR

    folder = Path(runs_dir) if runs_dir is not None else RUNS_DIR
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"--runs-dir {folder} exists and is not a folder")
    return folder


def _store(runs_dir: Path | None = None, create: bool = True):
    """The runs folder's store; commands that only read (`status`, `resume`) never create one."""
    from sentinel.agent.errors import BadInput
    from sentinel.agent.store import open_store

    folder = _runs_dir(runs_dir)
    db = folder / "feedback.db"
    if not create and not db.is_file():
        raise BadInput(f"no campaigns yet: {db} does not exist (start one with `sentinel campaign run GOAL`)")
    folder.mkdir(parents=True, exist_ok=True)
    return open_store(db)


def _check_engine() -> None:
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.errors import EngineUnavailable

    if not Engine().ping():
        raise EngineUnavailable("no Docker engine answers")


def _check_options(parallel: int, seed: int | None = None, approval: str | None = None) -> None:
    """Refuse bad options before anything is created: a refusal writes nothing (not even the store)."""
    import sys

    from sentinel.agent.campaign.approval import mode_of
    from sentinel.agent.errors import BadInput

    if not 1 <= parallel <= 16:
        raise BadInput(f"--parallel must be in 1..16, got {parallel}")
    if seed is not None and not 0 <= seed < 2**63:
        raise BadInput(f"--seed must be an integer in 0..2**63-1, got {seed}")
    if approval is None:
        return
    if mode_of(approval) == "callback":
        from sentinel.agent.campaign.approval.factory import load_policy

        load_policy(approval)  # an unloadable policy is bad input now, not after the store exists
    elif mode_of(approval) == "terminal" and (sys.stdin is None or not sys.stdin.isatty()):
        raise BadInput("--approval terminal needs a terminal on stdin; use --approval offline instead")


def _target(text: str | None, goal):
    """`--target 4.0` or `--target none`; anything else is bad input naming the option."""
    from sentinel.agent.errors import BadInput

    if text is None:
        return goal
    if text.strip().lower() == "none":
        return goal.with_target(None)
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"--target must be a number or none, got {text!r:.40}") from None
    return goal.with_target(value)


def _runner(
    brain: str, approval: str, parallel: int, llm: tuple, launcher, events, runs_dir: Path | None = None
):
    from sentinel.agent.campaign import CampaignRunner
    from sentinel.agent.campaign.approval import make_hook
    from sentinel.agent.errors import BadInput
    from sentinel.sandbox.paths import CONFIGS_DIR, REVIEWS_DIR

    if brain not in BRAINS:
        raise BadInput(f"--brain {brain!r} is not one of {', '.join(BRAINS)}")
    chosen = _brain(brain, *llm, note=events.note)  # bad model options fail before the store opens
    folder = _runs_dir(runs_dir)
    store = _store(folder)
    live = getattr(events, "progress", None)  # the live view pauses while a person answers
    hook = make_hook(
        approval,
        store,
        configs_dir=CONFIGS_DIR,
        reviews_dir=REVIEWS_DIR,
        console=err_console,
        live=live,
        runs_dir=folder,
    )
    return CampaignRunner(
        store,
        chosen,
        hook,
        configs_dir=CONFIGS_DIR,
        runs_dir=folder,
        events=events,
        parallel=parallel,
        launcher=launcher,
    )


def _brain(brain: str, model: str | None, api_base: str | None, agent_style: str, note):
    from sentinel.agent.errors import BadInput

    if brain != "llm":  # --model may come from SENTINEL_LLM_MODEL: the strategist ignores it
        from sentinel.agent.brains.strategist import StrategistBrain

        return StrategistBrain()
    if not model:
        raise BadInput(f"the LLM brain needs --model SPEC (or {LLM_ENV['model']}); see docs/llm_brain.md")
    from sentinel.agent.brains.llm import LLMBrain

    return LLMBrain.from_options(model, api_base, agent_style, on_note=note)


def _finish(outcome, as_json: bool) -> None:
    if as_json:
        emit_json(outcome.to_json())
    else:
        best = f"{outcome.best_value:.4g}" if outcome.best_value is not None else "-"
        console.print(f"campaign {outcome.campaign_id}: {outcome.state} ({outcome.reason})")
        console.print(f"runs: {outcome.runs}  best {outcome.metric}: {best}  ({outcome.best_run or '-'})")
        console.print(f"results: {outcome.folder}")
        dashboard = outcome.folder / "dashboard.html"
        if dashboard.is_file():
            console.print(f"dashboard: {dashboard}")
    if outcome.state == "paused":
        raise typer.Exit(EXIT_PAUSED)
    raise typer.Exit(0 if outcome.state == "finished" else EXIT_FAILED)


def _drive(start, metric: str, as_json: bool, runner_args: tuple, runs_dir: Path | None = None):
    from sentinel.agent.campaign.events import QuietEvents
    from sentinel.agent.campaign.live import LiveView

    if as_json:
        return start(_runner(*runner_args, QuietEvents(), runs_dir))
    with LiveView(err_console, metric) as view:
        return start(_runner(*runner_args, view, runs_dir))


@app.command("run")
def run(
    goal: str = typer.Argument(..., help="Campaign goal: group:name (see `campaign list`) or a YAML path."),
    budget: int = typer.Option(None, "--budget", help="Override the goal's run budget."),
    brain: str = typer.Option("strategist", "--brain", help="strategist (offline, default) or llm."),
    approval: str = typer.Option("auto", "--approval", help=APPROVAL_HELP),
    model: str = typer.Option(None, "--model", envvar=LLM_ENV["model"], help=MODEL_HELP),
    api_base: str = typer.Option(None, "--api-base", envvar=LLM_ENV["api_base"], help=API_BASE_HELP),
    agent_style: str = typer.Option("code", "--agent-style", help=STYLE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed of the brain's search (deterministic given it)."),
    parallel: int = typer.Option(1, "--parallel", help="Runs in flight at once (on any executor)."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    ray_address: str = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
    target: str = typer.Option(None, "--target", help=TARGET_HELP),
    start_tier: int = typer.Option(1, "--start-tier", help=START_TIER_HELP),
    runs_dir: Path = typer.Option(None, "--runs-dir", help=RUNS_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run a whole campaign unattended; every run in its own hardened container."""
    from sentinel.agent.errors import BadInput
    from sentinel.agent.executors import make_executor
    from sentinel.agent.goals import CAMPAIGNS_DIR, check_goal_configs, load_goal
    from sentinel.sandbox.paths import CONFIGS_DIR

    with mapped_errors():
        _check_options(parallel, seed, approval)
        loaded = load_goal(goal, CAMPAIGNS_DIR)
        check_goal_configs(loaded, CONFIGS_DIR)
        if budget is not None:
            loaded = loaded.with_budget(budget)
        loaded = _target(target, loaded)
        if not 1 <= start_tier <= loaded.max_tier:
            raise BadInput(
                f"--start-tier must be in 1..{loaded.max_tier} (the goal's max_tier), got {start_tier}"
            )
        _runs_dir(runs_dir)
        if executor == "local":
            _check_engine()  # no engine: exit 3 before the store or the campaign exists
        runs_on = make_executor(executor, ray_address)  # Ray disconnects at exit (its atexit hook)
        outcome = _drive(
            lambda r: r.start(loaded, seed, start_tier=start_tier),
            loaded.metric.name,
            as_json,
            (brain, approval, parallel, (model, api_base, agent_style), runs_on.launch),
            runs_dir,
        )
    _finish(outcome, as_json)


@app.command("resume")
def resume(
    campaign: str = typer.Argument(None, help="Campaign id (default: the newest unfinished one)."),
    parallel: int = typer.Option(1, "--parallel"),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    ray_address: str = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
    approval: str = typer.Option(None, "--approval", help="A policy campaign's policy:MODULE:FUNCTION."),
    model: str = typer.Option(None, "--model", envvar=LLM_ENV["model"], help=MODEL_HELP),
    api_base: str = typer.Option(None, "--api-base", envvar=LLM_ENV["api_base"], help=API_BASE_HELP),
    agent_style: str = typer.Option("code", "--agent-style", help=STYLE_HELP),
    runs_dir: Path = typer.Option(None, "--runs-dir", help=RUNS_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Continue a paused, failed or killed campaign exactly where its store stands."""
    from sentinel.agent.campaign.approval import mode_of
    from sentinel.agent.errors import BadInput
    from sentinel.agent.executors import make_executor

    with mapped_errors():
        _check_options(parallel)
        store = _store(runs_dir, create=False)
        if campaign is None:
            open_ones = store.list_campaigns(states=("running", "paused", "failed"))
            if not open_ones:
                raise BadInput("no unfinished campaign to resume")
            campaign = open_ones[0].id
        record = store.get_campaign(campaign)
        if approval is not None and mode_of(approval) != record.approval:
            raise BadInput(
                f"campaign {campaign} was started with --approval {record.approval}; resume keeps it"
            )
        if approval is None and record.approval == "callback":
            raise BadInput(
                f"campaign {campaign} uses a Python policy: pass --approval policy:MODULE:FUNCTION"
            )
        spec = approval or record.approval
        runs_on = make_executor(executor, ray_address)
        outcome = _drive(
            lambda r: r.resume(campaign),
            _metric(record),
            as_json,
            (record.brain, spec, parallel, (model, api_base, agent_style), runs_on.launch),
            runs_dir,
        )
    _finish(outcome, as_json)


def _metric(record) -> str:
    return str(dict(record.goal).get("metric", {}).get("name", "val/loss"))


@app.command("status")
def status(
    campaign: str = typer.Argument(None, help="Campaign id (default: the newest)."),
    runs_dir: Path = typer.Option(None, "--runs-dir", help=RUNS_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Runs, best so far, per-tier payoff and the current recommendation of one campaign."""
    from sentinel.agent.brains._tiers import tier_report, tier_report_text
    from sentinel.agent.drift import assess_campaign
    from sentinel.agent.errors import BadInput
    from sentinel.agent.goals import GoalMetric

    with mapped_errors():
        store = _store(runs_dir, create=False)
        if campaign is None:
            every = store.list_campaigns()
            if not every:
                raise BadInput("no campaigns yet; start one with `sentinel campaign run GOAL`")
            campaign = every[0].id
        record = store.get_campaign(campaign)
        runs = store.history(campaign, include_running=True)
        recommendation = assess_campaign(store, campaign)
        goal_metric = dict(record.goal).get("metric", {})
        tiers = tier_report(store, campaign, GoalMetric(goal_metric["name"], goal_metric["mode"]))
    metric = _metric(record)
    if as_json:
        emit_json(
            {
                "campaign": record.id,
                "state": record.state,
                "reason": record.state_reason,
                "tier": record.tier,
                "recommendation": recommendation.action,
                "recommendation_reason": recommendation.reason,
                "tiers": [
                    {"tier": t.tier, "ended": t.ended, "compared": t.compared, "beat_best": t.beat}
                    for t in tiers
                ],
                "runs": [
                    {
                        "run_id": r.run_id,
                        "status": r.status,
                        "overrides": list(r.proposal.override_args()),
                        "tier": r.proposal.tier,
                        metric: r.metric(metric),
                    }
                    for r in runs
                ],
            }
        )
        raise typer.Exit(0)
    table = Table(title=f"{record.id}  [{record.state}]  tier {record.tier}")
    for column in ("#", "status", "tier", metric, "overrides", "seconds"):
        table.add_column(column)
    for r in runs:
        value = r.metric(metric)
        table.add_row(
            str(r.proposal.seq),
            r.status,
            str(r.proposal.tier),
            f"{value:.4g}" if value is not None and math.isfinite(value) else "-",
            " ".join(r.proposal.override_args())[:60],
            f"{r.duration_s or 0:.0f}",
        )
    console.print(table)
    console.print(f"tiers: {tier_report_text(tiers)}", highlight=False)
    console.print(f"recommendation: [bold]{recommendation.action}[/] - {recommendation.reason}")


@app.command("list")
def list_goals(as_json: bool = typer.Option(False, "--json")) -> None:
    """Campaign goals shipped in campaigns/, with their descriptions."""
    from sentinel.agent.errors import BadInput
    from sentinel.agent.goals import CAMPAIGNS_DIR
    from sentinel.agent.goals import list_goals as goals_in

    with mapped_errors():
        goals = goals_in(CAMPAIGNS_DIR)
        if not goals and not as_json:
            raise BadInput("no campaign goals in campaigns/")
    if as_json:
        emit_json({"goals": [{"address": a, "description": d} for a, d in goals]})
        return
    table = Table(title="campaign goals")
    table.add_column("goal")
    table.add_column("description")
    for address, description in goals:
        table.add_row(address, description)
    console.print(table)
