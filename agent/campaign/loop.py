"""The campaign loop: propose -> validate -> approve -> run -> record -> assess, crash-safe.

Every transition is committed to the FeedbackStore before the next starts, and the loop
always begins by finishing what the store says is pending (proposed, validated, approved
proposals) before asking the brain for anything new. So `kill -9` at any moment followed by
`campaign resume` continues where the store stands: committed runs are never run again, and a
run whose process died is reaped (container and volume) and requeued as a new attempt.

Budget: `goal.budget.runs` counts proposals that ran to a recorded end; wall minutes count
this campaign's active time (run time of earlier sessions plus this session's elapsed time).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from sentinel.agent.brains._base import Brain, CampaignContext
from sentinel.agent.campaign.approval import ApprovalHook
from sentinel.agent.drift import assess_campaign
from sentinel.agent.errors import AgentError, BadInput
from sentinel.agent.executors import RunLost
from sentinel.agent.goals import CampaignGoal, parse_goal
from sentinel.agent.store import Claim, FeedbackStore, ProposalRecord, RunRecord
from sentinel.sandbox.errors import DataUnavailable, EngineUnavailable, ImageUnavailable, SandboxError

HEARTBEAT_S = 5.0
MAX_PROPOSALS_PER_RUN = 3  # rejected proposals cost no compute, but a loop of them must end
ENVIRONMENT_ERRORS = (EngineUnavailable, ImageUnavailable, DataUnavailable)


class LoopEvents(Protocol):
    """What a live view (or a log) hears from the loop; all wording is Sentinel's own."""

    def note(self, message: str) -> None: ...

    def run_started(self, claim: Claim, config: dict[str, Any] | None) -> None: ...

    def run_progress(self, run_id: str, artifacts_dir: Path, config: dict[str, Any]) -> None: ...

    def run_finished(self, run: RunRecord, best: RunRecord | None) -> None: ...


class QuietEvents:
    def note(self, message: str) -> None:
        return None

    def run_started(self, claim: Claim, config: dict[str, Any] | None) -> None:
        return None

    def run_progress(self, run_id: str, artifacts_dir: Path, config: dict[str, Any]) -> None:
        return None

    def run_finished(self, run: RunRecord, best: RunRecord | None) -> None:
        return None


@dataclass(frozen=True, slots=True)
class CampaignOutcome:
    campaign_id: str
    state: str  # finished | paused | failed | no_proposal (the brain proposed nothing at all)
    reason: str
    runs: int
    best_run: str | None
    best_value: float | None
    metric: str
    folder: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "state": self.state,
            "reason": self.reason,
            "runs": self.runs,
            "best_run": self.best_run,
            "best_value": self.best_value,
            "metric": self.metric,
            "folder": str(self.folder),
        }


class CampaignPaused(AgentError):
    """The approval hook asked for a human decision that is not recorded yet (exit 4)."""

    exit_code = 4


Launcher = Callable[..., Any]  # sentinel.agent.launch.launch_run, replaceable at the seam in tests


class CampaignRunner:
    def __init__(
        self,
        store: FeedbackStore,
        brain: Brain,
        approval: ApprovalHook,
        *,
        configs_dir: Path,
        runs_dir: Path,
        events: LoopEvents | None = None,
        parallel: int = 1,
        launcher: Launcher | None = None,
    ) -> None:
        if not 1 <= parallel <= 16:
            raise BadInput(f"--parallel must be in 1..16, got {parallel}")
        self.store, self.brain, self.approval = store, brain, approval
        self.configs_dir, self.runs_dir = configs_dir, runs_dir
        self.events: LoopEvents = events or QuietEvents()
        self.parallel = parallel
        self._launch = launcher
        self._running: dict[str, Future[None]] = {}
        self._session_start = time.monotonic()
        self._started: set[str] = set()
        self._stop_reason = ""  # set when an evidenced stop the goal opted into ends the campaign

    # entry points ---------------------------------------------------------------------------
    def start(self, goal: CampaignGoal, seed: int, start_tier: int = 1) -> CampaignOutcome:
        if not 1 <= start_tier <= goal.max_tier:
            raise BadInput(
                f"--start-tier must be in 1..{goal.max_tier} (the goal's max_tier), got {start_tier}"
            )
        self._check_engine()  # no engine: exit 3 with nothing created, not a campaign left `running`
        campaign = self.store.create_campaign(
            goal, seed=seed, brain=self.brain.name, approval=self.approval.mode
        )
        self.events.note(f"campaign {campaign.id} started ({goal.address}, seed {seed})")
        if start_tier > 1:
            reason = f"the user asked to start at tier {start_tier}"
            self.store.record_escalation(campaign.id, start_tier, reason, {"tier": 1.0}, from_tier=1)
            self.events.note(f"escalated to tier {start_tier}: {reason}")
        return self._drive(campaign.id)

    def resume(self, campaign_id: str) -> CampaignOutcome:
        campaign = self.store.get_campaign(campaign_id)
        if campaign.state == "finished":
            return self._settle_finished(campaign_id, campaign.state_reason)
        self.store.attach_campaign(campaign_id)
        if campaign.state != "running":
            self.store.set_campaign_state(campaign_id, "running", "resumed")
        self.events.note(f"campaign {campaign_id} resumed")
        return self._drive(campaign_id)

    # the loop -------------------------------------------------------------------------------
    def _drive(self, campaign_id: str) -> CampaignOutcome:
        goal = self._goal(campaign_id)
        self._session_start = time.monotonic()
        try:
            self._recover(campaign_id)
        except ENVIRONMENT_ERRORS:
            self.store.set_campaign_state(campaign_id, "paused", "the sandbox environment became unavailable")
            self.store.release_campaign(campaign_id)
            raise
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(campaign_id, stop), daemon=True)
        beat.start()
        try:
            with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="run") as pool:
                outcome = self._loop(campaign_id, goal, pool)
        except CampaignPaused as paused:
            self.store.set_campaign_state(campaign_id, "paused", str(paused)[:400])
            outcome = self._outcome(campaign_id, "paused", str(paused))
        except ENVIRONMENT_ERRORS:
            self.store.set_campaign_state(campaign_id, "paused", "the sandbox environment became unavailable")
            raise
        except BaseException:
            # Anything unexpected (incl. Ctrl-C) leaves the campaign resumable, never half-finished.
            if self.store.get_campaign(campaign_id).state == "running":
                self.store.set_campaign_state(
                    campaign_id, "failed", "the campaign process stopped unexpectedly"
                )
            raise
        finally:
            stop.set()
            beat.join(timeout=HEARTBEAT_S * 2)
            self.store.release_campaign(campaign_id)
        from sentinel.agent.dashboard import write_campaign_dashboard  # its failures become a note

        self.events.note(write_campaign_dashboard(self.store, campaign_id, self.runs_dir))
        return outcome

    def _loop(self, campaign_id: str, goal: CampaignGoal, pool: ThreadPoolExecutor) -> CampaignOutcome:
        brain_done = False
        while True:
            self._reap_finished()
            done_reason = self._finished_reason(campaign_id, goal)
            if done_reason and not self._running:
                self._finish(campaign_id, done_reason)
                self.events.note(f"campaign finished: {done_reason}")
                return self._outcome(campaign_id, "finished", done_reason)
            if done_reason or len(self._running) >= self.parallel:
                self._wait_one()
                continue
            if self._advance_pending(campaign_id, goal, pool):
                continue
            if brain_done or not self._propose(campaign_id, goal):
                brain_done = True
                if self._running:
                    self._wait_one()
                    continue
                if not self.store.proposals(campaign_id):  # nothing at all: not a finished campaign
                    reason = "the brain made no proposal at all"
                    self.store.set_campaign_state(campaign_id, "failed", reason)
                    self.events.note(f"campaign failed: {reason}")
                    return self._outcome(campaign_id, "no_proposal", reason)
                reason = self._stop_reason or "the brain has nothing more worth running"
                self._finish(campaign_id, reason)
                self.events.note(f"campaign finished: {reason}")
                return self._outcome(campaign_id, "finished", reason)

    def _advance_pending(self, campaign_id: str, goal: CampaignGoal, pool: ThreadPoolExecutor) -> bool:
        """Move the oldest pending proposal one step; True when something moved."""
        pending = self.store.proposals(campaign_id, states=("proposed", "validated", "approved"))
        if not pending:
            return False
        proposal = pending[0]
        if proposal.state == "proposed":
            self._validate(proposal)
        elif proposal.state == "validated":
            self._approve(proposal)
        else:
            self._start_run(campaign_id, goal, pool)
        return True

    def _propose(self, campaign_id: str, goal: CampaignGoal) -> bool:
        total = len(self.store.proposals(campaign_id))
        if total >= goal.budget.runs * MAX_PROPOSALS_PER_RUN:
            return False
        campaign = self.store.get_campaign(campaign_id)
        recommendation = assess_campaign(self.store, campaign_id)
        # Drift's "stop" ends a campaign early only when the goal asked for it: a budget is spent.
        if recommendation.action == "stop" and goal.stop_on_stagnation and not self._running:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in recommendation.evidence.items())
            self._stop_reason = f"stop_on_stagnation: {recommendation.reason} ({shown})"
            return False
        max_tier = self._max_tier(goal)
        if (
            recommendation.action == "escalate"
            and recommendation.to_tier
            and campaign.tier < recommendation.to_tier <= max_tier
            and self._new_evidence_since_escalation(campaign_id)
        ):
            evidence = {k: v for k, v in recommendation.evidence.items() if isinstance(v, int | float)}
            self.store.record_escalation(
                campaign_id, recommendation.to_tier, recommendation.reason, evidence, from_tier=campaign.tier
            )
            self.events.note(f"escalated to tier {recommendation.to_tier}: {recommendation.reason}")
            campaign = self.store.get_campaign(campaign_id)
        ctx = CampaignContext(
            campaign_id=campaign_id,
            goal=goal,
            store=self.store,
            configs_dir=self.configs_dir,
            seed=campaign.seed,
            tier=campaign.tier,
            recommendation=recommendation,
            extra={"in_flight": len(self._running)},
            generated_root=self.runs_dir / campaign_id,
        )
        proposal = self.brain.propose(ctx)
        while proposal is None and ctx.tier < max_tier:
            ctx = self._escalate_exhausted(ctx)
            proposal = self.brain.propose(ctx)
        if proposal is None:
            return False
        record = self.store.add_proposal(
            campaign_id,
            tier=min(proposal.tier, ctx.tier),
            brain=self.brain.name,
            overrides=dict(proposal.overrides),
            rationale=proposal.rationale,
            experiment=proposal.experiment,
            model_ref=proposal.model_ref,
            parent_id=proposal.parent_id,
        )
        self.events.note(f"proposal {record.seq} (tier {record.tier}): {record.rationale}")
        return True

    def _validate(self, proposal: ProposalRecord) -> None:
        from sentinel.agent.configs import compose
        from sentinel.validator import validate_source

        try:
            resolved = compose(
                proposal.experiment,
                list(proposal.override_args()),
                self.configs_dir,
                self.runs_dir / proposal.campaign_id,
            )
        except BadInput as err:
            self.store.record_validation(proposal.id, False, reason=str(err)[:400])
            self.events.note(f"proposal {proposal.seq} rejected: {err}")
            return
        for path in resolved.generated_files:  # checked again here: the file may have changed since
            report = validate_source(path.read_text(encoding="utf-8"), filename=path.name)
            if not report.accepted:
                reason = f"generated model {path.name} rejected by the validator"
                self.store.record_validation(proposal.id, False, reason=reason)
                self.events.note(f"proposal {proposal.seq}: {reason}")
                return
        self.store.record_validation(proposal.id, True, config_sha256=resolved.sha256)

    def _approve(self, proposal: ProposalRecord) -> None:
        decision = self.approval.decide(proposal)
        if decision is None:
            raise CampaignPaused(self.approval.pause_message(proposal))
        self.store.record_approval(
            proposal.id, decision.decision, decision.reviewer, bundle_sha256=decision.bundle_sha256
        )
        if decision.decision == "rejected":
            self.events.note(f"proposal {proposal.seq} rejected by {decision.reviewer}")

    def _start_run(self, campaign_id: str, goal: CampaignGoal, pool: ThreadPoolExecutor) -> None:
        claim = self.store.claim_next(
            campaign_id, isolation=goal.sandbox.isolation, out_dir=str(self.runs_dir / campaign_id)
        )
        if claim is None:
            return
        refusal = self.approval.before_run(claim.proposal, self.store.approvals(claim.proposal.id))
        if refusal:  # what was approved is no longer what would run: record it, never launch
            self.store.record_run(claim.run.run_id, "rejected_by_reviewer", reason=refusal)
            self.events.note(f"proposal {claim.proposal.seq} refused: {refusal}")
            return
        self.events.run_started(claim, None)
        self._running[claim.run.run_id] = pool.submit(self._run_one, campaign_id, goal, claim)

    def _run_one(self, campaign_id: str, goal: CampaignGoal, claim: Claim) -> None:
        from sentinel.agent.campaign.adopt import approval_digest  # imports docker: only when running
        from sentinel.agent.launch import LaunchRequest, launch_run

        launch = self._launch or launch_run
        proposal, run_id = claim.proposal, claim.run.run_id
        request = LaunchRequest(
            experiment=proposal.experiment,
            overrides=proposal.override_args(),
            isolation=goal.sandbox.isolation,
            timeout_s=goal.sandbox.timeout_s,
            cpus=goal.sandbox.cpus,
            memory=goal.sandbox.memory,
            out_dir=self.runs_dir / campaign_id / run_id,
            campaign=campaign_id,
            run_id=run_id,
            generated_root=self.runs_dir / campaign_id,
            approval_digest=approval_digest(self.store, proposal),
        )

        def progress(live_dir: Path, config: dict[str, Any]) -> None:
            if run_id not in self._started:  # the container is up: this attempt counts
                self._started.add(run_id)
                self.store.mark_container_started(run_id)
            self.events.run_progress(run_id, live_dir, config)

        try:
            outcome = launch(request, on_progress=progress)
        except ENVIRONMENT_ERRORS:
            self.store.requeue_run(run_id, "the sandbox environment became unavailable")
            raise
        except RunLost as lost:  # its node died (--executor ray): `lost`, one more attempt elsewhere
            self.store.lose_run(run_id, str(lost))
        except (BadInput, SandboxError) as err:
            self.store.record_run(run_id, "failed", reason=f"the run could not start: {type(err).__name__}")
        else:
            self.store.record_outcome(outcome)
        run = self.store.get_run(run_id)
        best = self._best(campaign_id, goal)
        self.events.run_finished(run, best)

    # helpers --------------------------------------------------------------------------------
    def _check_engine(self) -> None:
        if self._launch is not None:
            return  # a test's launcher stands in for the engine
        from sentinel.sandbox.engine import Engine

        if not Engine().ping():
            raise EngineUnavailable("no Docker engine answers")

    def _recover(self, campaign_id: str) -> None:
        from sentinel.agent.campaign.adopt import recover_attempts

        goal = self._goal(campaign_id)
        recover_attempts(self.store, self.runs_dir, campaign_id, self.events.note, goal.sandbox)

    def _finish(self, campaign_id: str, reason: str) -> None:
        """Finished, with nothing left pending: unrun proposals become `cancelled` first."""
        cancelled = self.store.cancel_pending(campaign_id, f"not run: {reason}")
        if cancelled:
            self.events.note(f"{cancelled} proposal(s) not run: the campaign ended first")
        self.store.set_campaign_state(campaign_id, "finished", reason)

    def _settle_finished(self, campaign_id: str, reason: str) -> CampaignOutcome:
        """Resume of a finished campaign: clear a dead owner and write a missing dashboard (a kill
        right after `finished` skipped both), then report it."""
        from sentinel.agent.dashboard import write_campaign_dashboard

        self.store.cancel_pending(campaign_id, f"not run: {reason}")
        self.store.release_dead_owner(campaign_id)
        if not (self.runs_dir / campaign_id / "dashboard.html").is_file():
            self.events.note(write_campaign_dashboard(self.store, campaign_id, self.runs_dir))
        return self._outcome(campaign_id, "finished", reason)

    def _escalate_exhausted(self, ctx: CampaignContext) -> CampaignContext:
        """The brain has nothing left at this tier: climb one tier instead of finishing early."""
        reason = f"the brain found nothing more worth running at tier {ctx.tier}"
        self.store.record_escalation(
            ctx.campaign_id, ctx.tier + 1, reason, {"tier": ctx.tier}, from_tier=ctx.tier
        )
        self.events.note(f"escalated to tier {ctx.tier + 1}: {reason}")
        recommendation = ctx.recommendation
        if recommendation is not None:
            recommendation = replace(recommendation, action="escalate", reason=reason, to_tier=ctx.tier + 1)
        return replace(ctx, tier=ctx.tier + 1, recommendation=recommendation)

    def _max_tier(self, goal: CampaignGoal) -> int:
        """The goal's max_tier, capped by what the brain can do: a tier-1-only brain is never
        escalated to tiers it does not have (the bench's plain baselines are such brains)."""
        return min(goal.max_tier, getattr(self.brain, "max_tier", goal.max_tier))

    def _new_evidence_since_escalation(self, campaign_id: str) -> bool:
        """Escalate at most once per new result: a crash between an escalation and the proposal
        it was for must not make the resumed loop climb another tier on the same evidence."""
        escalations = self.store.escalations(campaign_id)
        if not escalations:
            return True
        ended = [r.finished_at for r in self.store.history(campaign_id) if r.finished_at is not None]
        return bool(ended) and max(ended) > escalations[-1].created_at

    def _heartbeat(self, campaign_id: str, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_S):
            self.store.heartbeat_campaign(campaign_id)
            for run_id in list(self._running):
                self.store.heartbeat_run(run_id)

    def _reap_finished(self) -> None:
        for run_id, future in list(self._running.items()):
            if future.done():
                del self._running[run_id]
                future.result()  # re-raise environment errors from the worker

    def _wait_one(self) -> None:
        if self._running:
            wait(list(self._running.values()), return_when=FIRST_COMPLETED)
        self._reap_finished()

    def _finished_reason(self, campaign_id: str, goal: CampaignGoal) -> str:
        ran = len(self.store.proposals(campaign_id, states=("finished",)))
        if ran + len(self._running) >= goal.budget.runs:
            return f"the budget of {goal.budget.runs} runs is spent"
        elapsed_min = self.store.active_seconds(campaign_id) / 60  # only time a live owner worked
        if elapsed_min >= goal.budget.wall_minutes:
            return f"the wall-clock budget of {goal.budget.wall_minutes:g} minutes is spent"
        best = self._best(campaign_id, goal)
        value = best.metric(goal.metric.name) if best else None
        if value is not None and goal.reached(value):
            return f"the target {goal.metric.name} {goal.target:g} is reached ({value:.4g})"
        return ""

    def _best(self, campaign_id: str, goal: CampaignGoal) -> RunRecord | None:
        best = self.store.best_runs(goal.metric.name, goal.metric.mode, campaign_id=campaign_id, k=1)
        return best[0] if best else None

    def _goal(self, campaign_id: str) -> CampaignGoal:
        campaign = self.store.get_campaign(campaign_id)
        return parse_goal(dict(campaign.goal), f"campaign {campaign_id} goal snapshot", campaign.goal_address)

    def _outcome(self, campaign_id: str, state: str, reason: str) -> CampaignOutcome:
        goal = self._goal(campaign_id)
        best = self._best(campaign_id, goal)
        value = best.metric(goal.metric.name) if best else None
        return CampaignOutcome(
            campaign_id=campaign_id,
            state=state,
            reason=reason,
            runs=len(self.store.proposals(campaign_id, states=("finished",))),
            best_run=best.run_id if best else None,
            best_value=value if value is not None and math.isfinite(value) else None,
            metric=goal.metric.name,
            folder=self.runs_dir / campaign_id,
        )
