import math

import pytest

from sentinel.contract.vocabulary import ANOMALIES
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Finding
from sentinel.monitor.policy import CONTAIN_ACTION, ENTRY_RUNG, RUNG_ACTION, RUNGS, Policy

CFG = MonitorConfig()


def _f(anomaly: str, step: int, **evidence: float) -> Finding:
    return Finding(anomaly, step, {k: float(v) for k, v in evidence.items()})


def _decide(policy: Policy, anomaly: str, step: int, lr: float = 1e-3, ref_lr: float = 1e-3, **ev: float):
    return policy.decide(_f(anomaly, step, **ev), lr, ref_lr, 1.0)


def test_tables_cover_every_anomaly_and_rung():
    assert set(ENTRY_RUNG) | {"plateau"} == {
        "nan",
        "loss_spike",
        "grad_explosion",
        "divergence",
        "oscillation",
        "plateau",
    }
    assert set(CONTAIN_ACTION) == {a for a, r in ENTRY_RUNG.items() if r == "contain"}
    assert set(RUNG_ACTION) == set(RUNGS[1:])


def test_per_step_anomalies_are_contained_every_time():
    policy = Policy(CFG)
    first = _decide(policy, "grad_explosion", 100)
    assert first.action == "clip" and first.new and first.params["max_norm"] == CFG.clip_factor
    again = _decide(policy, "grad_explosion", 101)
    assert again.action == "clip" and not again.new
    assert _decide(policy, "nan", 110).action == "skip"


def test_full_ladder_with_cooldowns():
    policy = Policy(CFG)
    step = 100
    assert _decide(policy, "divergence", step).action == "lr_cut"
    assert _decide(policy, "divergence", step + 8) is None  # cooling down: the cut needs time
    actions = []
    for _ in range(3):
        step += CFG.cooldown_steps
        actions.append(_decide(policy, "divergence", step).action)
    assert actions == ["rollback", "reinit", "stop"]
    assert policy.stopped and _decide(policy, "nan", step + 1) is None


def test_cut_factors_along_the_ladder():
    policy = Policy(CFG)
    cut = _decide(policy, "oscillation", 100)
    assert cut.action == "lr_cut" and cut.params["factor"] == CFG.lr_cut_factor
    roll = _decide(policy, "oscillation", 100 + CFG.cooldown_steps)
    assert roll.action == "rollback" and roll.params["factor"] == CFG.lr_cut_factor


def test_contained_episode_climbs_after_contain_limit():
    policy = Policy(CFG)
    decisions = [_decide(policy, "grad_explosion", 100 + i) for i in range(CFG.contain_limit + 2)]
    assert [d.action for d in decisions[:-1]] == ["clip"] * (CFG.contain_limit + 1)
    assert decisions[-1].action == "lr_cut"


def test_trend_during_containment_climbs_to_lr_cut():
    policy = Policy(CFG)
    assert _decide(policy, "loss_spike", 100).action == "skip"
    assert _decide(policy, "divergence", 108).action == "lr_cut"


def test_nan_streak_rolls_back_with_a_cut():
    policy = Policy(CFG)
    actions = [_decide(policy, "nan", 200 + i).action for i in range(3)]
    assert actions == ["skip", "skip", "rollback"]


def test_isolated_nans_are_only_skipped_until_they_keep_coming_back():
    policy = Policy(CFG)
    actions = [_decide(policy, "nan", s).action for s in (200, 202, 204, 206)]
    assert actions == ["skip"] * (CFG.contain_bursts - 1) + ["lr_cut"]


def test_one_long_burst_stays_contained():
    """An injected 10-step gradient explosion is one burst: clip it all, touch nothing else."""
    policy = Policy(CFG)
    assert {_decide(policy, "grad_explosion", 200 + i).action for i in range(10)} == {"clip"}


def test_spike_streak_rolls_back_without_a_cut():
    policy = Policy(CFG)
    actions = [_decide(policy, "loss_spike", 300 + i) for i in range(CFG.spike_streak)]
    assert [d.action for d in actions[:-1]] == ["skip"] * (CFG.spike_streak - 1)
    assert actions[-1].action == "rollback" and actions[-1].params["factor"] == 1.0


def test_lr_jump_short_cuts_to_a_rollback_restoring_the_lr():
    policy = Policy(CFG)
    decision = _decide(policy, "loss_spike", 500, lr=0.1, ref_lr=1e-3)
    assert decision.action == "rollback" and decision.params["factor"] == 1.0
    assert decision.evidence["lr_jump"] == pytest.approx(100.0)


def test_warmup_ramp_is_not_an_lr_jump():
    policy = Policy(CFG)
    assert _decide(policy, "loss_spike", 50, lr=2e-3, ref_lr=1e-3).action == "skip"


def test_episode_closes_after_quiet_steps_and_the_ladder_restarts():
    policy = Policy(CFG)
    _decide(policy, "divergence", 100)
    assert policy.tick(100 + CFG.recovery_steps - 1) is None
    closed = policy.tick(100 + CFG.recovery_steps)
    assert closed is not None and policy.episode is None
    assert _decide(policy, "divergence", 400).action == "lr_cut"


def test_healthy_needs_no_episode_and_a_quiet_stretch():
    policy = Policy(CFG)
    assert policy.healthy(10)
    _decide(policy, "nan", 20)
    assert not policy.healthy(21)
    policy.tick(20 + CFG.recovery_steps)
    assert policy.healthy(20 + CFG.recovery_steps)


def test_plateau_restarts_lr_sized_by_update_ratio_then_reinits_then_rests():
    policy = Policy(CFG)
    first = _decide(policy, "plateau", 120, update_ratio=3e-6)
    assert first.action == "lr_restart"
    assert first.params["factor"] == pytest.approx(
        min(CFG.update_ratio_target / 3e-6, CFG.lr_restart_max_factor)
    )
    assert _decide(policy, "plateau", 130, update_ratio=3e-6) is None  # cooling down
    second = _decide(policy, "plateau", 120 + CFG.plateau_patience, update_ratio=3e-4)
    assert second.action == "lr_restart"
    assert second.params["factor"] == pytest.approx(CFG.update_ratio_target / 3e-4)
    healthy = 1e-2
    assert _decide(policy, "plateau", 120 + 2 * CFG.plateau_patience, update_ratio=healthy) is None
    late = 120 + 4 * CFG.plateau_patience
    assert _decide(policy, "plateau", late, update_ratio=healthy).action == "reinit"
    assert _decide(policy, "plateau", late + 10 * CFG.plateau_patience, update_ratio=healthy) is None


def test_plateau_with_healthy_updates_and_no_restart_is_left_alone():
    policy = Policy(CFG)
    assert _decide(policy, "plateau", 120, update_ratio=5e-3) is None
    assert _decide(policy, "plateau", 1000, update_ratio=5e-3) is None


def test_plateau_without_measurement_gets_a_moderate_restart():
    decision = _decide(Policy(CFG), "plateau", 120)
    assert decision.action == "lr_restart" and decision.params["factor"] == 10.0
    assert math.isfinite(decision.params["factor"])


def test_plateau_is_ignored_during_an_episode():
    policy = Policy(CFG)
    _decide(policy, "divergence", 100)
    assert _decide(policy, "plateau", 120, update_ratio=1e-7) is None


def test_plateau_with_huge_updates_rolls_back_to_the_initial_weights_with_a_decade_cut():
    policy = Policy(CFG)
    decision = _decide(policy, "plateau", 64, update_ratio=0.2)
    assert decision.action == "rollback" and decision.params["initial"] == 1.0
    assert decision.params["factor"] == pytest.approx(CFG.lr_cut_factor**2)


def test_collapse_rolls_back_to_the_initial_weights_never_restarts():
    policy = Policy(CFG)
    collapsed = CFG.plateau_collapse_grad / 4
    first = _decide(policy, "plateau", 64, update_ratio=5e-3, grad_drop=collapsed)
    assert first.action == "rollback" and first.params["initial"] == 1.0
    step = 64
    for _ in range(CFG.lr_restart_limit - 1):
        step += CFG.plateau_patience
        assert _decide(policy, "plateau", step, update_ratio=5e-3, grad_drop=collapsed).action == "rollback"
    # cuts used up; even with tiny updates, more LR cannot revive dead units
    step += CFG.plateau_patience
    assert _decide(policy, "plateau", step, update_ratio=1e-6, grad_drop=collapsed) is None


def test_gradients_that_kept_their_level_are_no_collapse():
    decision = _decide(Policy(CFG), "plateau", 64, update_ratio=5e-3, grad_drop=0.5)
    assert decision is None  # healthy-sized updates, no restart behind it: left alone


def test_no_restart_while_the_schedule_still_raises_the_lr():
    policy = Policy(CFG)
    ramp = 1e-3 * (1 + 2 * (CFG.plateau_lr_rising - 1))
    assert _decide(policy, "plateau", 32, lr=ramp, ref_lr=1e-3, update_ratio=1e-5) is None
    assert policy.plateau.restarts == 0
    flat = _decide(policy, "plateau", 64, lr=1e-3, ref_lr=1e-3, update_ratio=1e-5)
    assert flat.action == "lr_restart"
    decaying = _decide(Policy(CFG), "plateau", 64, lr=0.8e-3, ref_lr=1e-3, update_ratio=1e-5)
    assert decaying.action == "lr_restart"
    early = Policy(CFG)  # before the hook has a reference, the detector's own LR median decides
    assert _decide(early, "plateau", 32, lr=2e-3, ref_lr=math.nan, update_ratio=1e-5, lr_median=1e-3) is None
    assert _decide(early, "plateau", 64, lr=2e-3, ref_lr=math.nan, update_ratio=1e-5, lr_median=2e-3)


def test_blow_up_rolls_back_at_once_and_climbs_even_during_cooldown():
    policy = Policy(CFG)
    first = _decide(policy, "divergence", 2, above_start=1200.0)
    assert first.action == "rollback"
    assert first.params["factor"] == pytest.approx(CFG.lr_cut_factor**2)  # about a decade
    step, retries = 2, []
    for _ in range(CFG.blow_up_retries):  # blown up again: the cut LR is still too large
        step += 2  # well inside the cooldown
        retries.append(_decide(policy, "divergence", step, above_start=14.0))
    assert [d.action for d in retries] == ["rollback"] * CFG.blow_up_retries
    assert all(d.params["factor"] == pytest.approx(CFG.lr_cut_factor**2) for d in retries)
    assert _decide(policy, "divergence", step + 2, above_start=14.0).action == "reinit"
    assert _decide(policy, "divergence", step + 4, above_start=9.0).action == "stop"


def test_blow_up_after_a_spike_rollback_cuts_then_retries_as_blow_ups():
    """After a rollback that kept the LR, a blow-up gets the usual one-cut rollback (a smaller LR
    before any re-init); blowing up again after that one is a blow-up retry: a decade more."""
    policy = Policy(CFG)
    for i in range(CFG.spike_streak):
        _decide(policy, "loss_spike", 300 + i)
    assert policy.rung == "rollback"
    nxt = _decide(policy, "divergence", 310, above_start=9.0)
    assert nxt.action == "rollback" and nxt.params["factor"] == pytest.approx(CFG.lr_cut_factor)
    again = _decide(policy, "divergence", 312, above_start=9.0)
    assert again.action == "rollback" and again.params["factor"] == pytest.approx(CFG.lr_cut_factor**2)


def test_a_trend_divergence_after_a_blow_up_rollback_climbs():
    policy = Policy(CFG)
    _decide(policy, "divergence", 2, above_start=100.0)
    assert _decide(policy, "divergence", 2 + CFG.cooldown_steps, z=9.0, progress_lost=0.5).action == "reinit"


def test_clip_target_follows_the_reference_the_detector_judged_by():
    policy = Policy(CFG)
    decision = policy.decide(_f("grad_explosion", 100, grad_norm=80.0, ref_grad_norm=0.5), 1e-3, 1e-3, 2.0)
    assert decision.params["max_norm"] == pytest.approx(CFG.clip_factor * 0.5)
    wide = policy.decide(_f("grad_explosion", 101, grad_norm=80.0, ref_grad_norm=4.0), 1e-3, 1e-3, 2.0)
    assert wide.params["max_norm"] == pytest.approx(CFG.clip_factor * 2.0)


def test_trend_divergence_worse_than_start_rolls_back_otherwise_cuts():
    worse = _decide(Policy(CFG), "divergence", 300, z=9.0, progress_lost=1.3)
    assert worse.action == "rollback"
    mild = _decide(Policy(CFG), "divergence", 300, z=9.0, progress_lost=0.4)
    assert mild.action == "lr_cut"


def test_shortcut_table_names_are_unique_and_point_at_rungs():
    from sentinel.monitor.policy import SHORTCUTS

    assert len({s.name for s in SHORTCUTS}) == len(SHORTCUTS)
    assert all(s.rung in RUNGS and set(s.anomalies) <= set(ANOMALIES) for s in SHORTCUTS)


def test_contained_steps_do_not_block_snapshots_and_anchor_a_later_rollback():
    """NaN steps that were skipped left the weights as they were: snapshots continue once the
    run has been quiet for a trend period, and a rollback for a later burst goes back to before
    that burst, not to before the first skipped step."""
    policy = Policy(CFG)
    assert _decide(policy, "nan", 51).action == "skip"
    assert not policy.healthy(64)  # too soon after the finding
    assert policy.healthy(51 + CFG.trend_every)  # the episode only contained a step
    assert _decide(policy, "nan", 123).action == "skip"
    actions = [_decide(policy, "loss_spike", s).action for s in range(154, 154 + CFG.spike_streak)]
    assert actions[-1] == "rollback" and policy.episode.anchor == 154
    assert not policy.healthy(400)  # an episode that rolled back blocks snapshots until it closes


def test_a_trend_finding_still_blocks_snapshots_for_a_snapshot_period():
    policy = Policy(CFG)
    assert _decide(policy, "divergence", 100).action == "lr_cut"
    policy.tick(100 + CFG.recovery_steps)  # the episode closes
    assert not policy.healthy(100 + CFG.snapshot_every - 1)
    assert policy.healthy(100 + CFG.recovery_steps)
    assert policy.episode is None


def test_clips_under_an_adaptive_optimizer_go_to_the_median_itself():
    policy = Policy(CFG)
    clip = policy.decide(_f("grad_explosion", 100), 1e-3, 1e-3, 2.0, adaptive=True)
    assert clip.params["max_norm"] == CFG.clip_factor_adaptive * 2.0
    assert _decide(Policy(CFG), "grad_explosion", 100).params["max_norm"] == CFG.clip_factor


def test_a_first_blow_up_after_a_healthy_warm_up_keeps_the_lr():
    early = _decide(Policy(CFG), "divergence", 3, above_start=9.0, best_ratio=1.0)
    assert early.action == "rollback" and early.params["factor"] < 1.0  # the LR is the cause
    late = _decide(Policy(CFG), "divergence", CFG.warmup_steps + 1, above_start=9.0, best_ratio=0.95)
    assert late.action == "rollback" and late.params["factor"] == 1.0 and late.params["skip_data"] == 1.0
