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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel.agent.brains._base import Brain
from sentinel.agent.campaign._gates import Gates, Refusal
from sentinel.agent.campaign._proposing import Proposer
from sentinel.agent.campaign.approval import ApprovalHook
from sentinel.agent.campaign.events import CampaignOutcome, LoopEvents, QuietEvents
from sentinel.agent.configs import CheckedConfig
from sentinel.agent.errors import BadInput, CampaignPaused, RunLost
from sentinel.agent.goals import CampaignGoal, parse_goal
from sentinel.agent.store import Claim, FeedbackStore, RunRecord
from sentinel.sandbox.errors import DataUnavailable, EngineUnavailable, ImageUnavailable, SandboxError

HEARTBEAT_S = 5.0
ENVIRONMENT_ERRORS = (EngineUnavailable, ImageUnavailable, DataUnavailable)

if TYPE_CHECKING:
    from sentinel.agent.launch import LaunchOutcome


# sentinel.agent.launch.launch_run (or an executor's launch), replaceable at the seam in tests
Launcher = Callable[..., "LaunchOutcome"]


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
        self._proposer = Proposer(store, brain, self._note, configs_dir, runs_dir)
        self._gates = Gates(store, approval, self._note, configs_dir, runs_dir)

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
            if brain_done or not self._proposer.propose(campaign_id, goal, len(self._running)):
                brain_done = True
                if self._running:
                    self._wait_one()
                    continue
                if not self.store.proposals(campaign_id):  # nothing at all: not a finished campaign
                    reason = "the brain made no proposal at all"
                    self.store.set_campaign_state(campaign_id, "failed", reason)
                    self.events.note(f"campaign failed: {reason}")
                    return self._outcome(campaign_id, "no_proposal", reason)
                reason = self._proposer.stop_reason or "the brain has nothing more worth running"
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
            self._gates.validate(proposal)
        elif proposal.state == "validated":
            self._gates.approve(proposal)
        else:
            self._start_run(campaign_id, goal, pool)
        return True

    def _start_run(self, campaign_id: str, goal: CampaignGoal, pool: ThreadPoolExecutor) -> None:
        claim = self.store.claim_next(
            campaign_id, isolation=goal.sandbox.isolation, out_dir=str(self.runs_dir / campaign_id)
        )
        if claim is None:
            return
        checked = self._gates.before_run(claim.proposal)
        if isinstance(checked, Refusal):  # record it, never launch
            self.store.record_run(claim.run.run_id, checked.status, reason=checked.reason)
            self.events.note(f"proposal {claim.proposal.seq} refused: {checked.reason}")
            return
        self.events.run_started(claim, None)
        self._running[claim.run.run_id] = pool.submit(self._run_one, campaign_id, goal, claim, checked)

    def _run_one(self, campaign_id: str, goal: CampaignGoal, claim: Claim, checked: CheckedConfig) -> None:
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
            outcome = launch(checked.resolved, request, on_progress=progress)
        except ENVIRONMENT_ERRORS:
            self.store.requeue_run(run_id, "the sandbox environment became unavailable")
            raise
        except RunLost as lost:  # its node died (--executor ray): `lost`, one more attempt elsewhere
            self.store.lose_run(run_id, str(lost))
        except (BadInput, SandboxError) as err:
            self.store.record_run(run_id, "failed", reason=f"the run could not start: {type(err).__name__}")
        else:
            if outcome.result is not None:
                self.store.record_result(outcome.result)
            else:  # nothing ran (the validator refused a model file)
                self.store.record_run(
                    run_id,
                    outcome.status,
                    reason=outcome.reason,
                    out_dir=str(outcome.out_dir),
                    container_started=False,
                )
        run = self.store.get_run(run_id)
        best = self._best(campaign_id, goal)
        self.events.run_finished(run, best)

    # helpers --------------------------------------------------------------------------------
    def _note(self, message: str) -> None:
        self.events.note(message)  # looked up each time: a caller may swap the events view

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
