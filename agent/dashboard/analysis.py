"""The campaign's closing analysis, written by Sentinel from the store's numbers.

The offline strategist does not write prose, and an LLM brain's words are not evidence, so
the analysis is composed here from what the store recorded: the best run and its config, which
overrides went with better results (group means for choices, rank correlation for numbers),
what the monitor did, and the drift module's recommendation. Plain sentences, no markup: the
page escapes them like any other text.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence

from sentinel.agent.dashboard._format import num, pct, seconds
from sentinel.agent.dashboard.data import DashboardData, RunView

__all__ = ["analysis", "config_text", "what_helped"]

MIN_RUNS = 3  # fewer ranked runs than this say nothing about what helped
CLEAR_TREND = 0.5  # |rank correlation| at or above this is called a trend
STATUS_WORDS = {
    "completed": "completed",
    "diverged": "diverged",
    "failed": "failed",
    "timeout": "timed out",
    "oom": "out of memory",
    "killed": "killed",
    "artifact_rejected": "with artifacts rejected",
    "rejected_by_validator": "rejected by the validator",
    "rejected_by_reviewer": "rejected by a reviewer",
    "integrity_mismatch": "whose claimed metric its predictions did not earn",
    "lost": "lost with the machine running them",
    "running": "still running",
}
ACTION_WORDS = {
    "continue": "keep searching around the best configuration",
    "change_lr": "change the learning rate next",
    "change_model": "try another model next",
    "escalate": "escalate to the next tier (config variants, then generated models)",
    "stop": "stop here; more runs of this kind are unlikely to pay off",
}


def config_text(view: RunView) -> str:
    """A run's overrides as `key=value` words (the experiment's defaults when there are none)."""
    words = list(view.run.proposal.override_args())
    if view.run.proposal.model_ref:
        words.append(f"model_ref={view.run.proposal.model_ref}")
    return " ".join(words) if words else "the experiment's defaults"


def _spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    if len(xs) < MIN_RUNS or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    den = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return cov / den if den else None


def _effective(view: RunView) -> dict[str, object]:
    """The run's overrides, with a generated model standing in for the `model` choice it replaces."""
    config: dict[str, object] = dict(view.run.proposal.overrides)
    if view.run.proposal.model_ref and "model" not in config:
        config["model"] = view.run.proposal.model_ref
    return config


def what_helped(data: DashboardData) -> list[str]:
    """Sentences on the overrides that went with better results, strongest first."""
    ranked = [v for v in data.runs if v.rank is not None and v.value is not None]
    if len(ranked) < MIN_RUNS:
        return []
    sign = 1.0 if data.mode == "min" else -1.0
    configs = [_effective(v) for v in ranked]
    keys = sorted({k for c in configs for k in c})
    found: list[tuple[float, str]] = []
    for key in keys:
        values = [(c.get(key), sign * (v.value or 0.0)) for c, v in zip(configs, ranked, strict=True)]
        numeric = [(float(x), y) for x, y in values if isinstance(x, int | float) and not isinstance(x, bool)]
        if len(numeric) == len(values):
            rho = _spearman([x for x, _ in numeric], [y for _, y in numeric])
            if rho is not None and abs(rho) >= CLEAR_TREND:
                side = "lower" if rho > 0 else "higher"
                found.append(
                    (
                        abs(rho),
                        f"{side} {key} went with better {data.metric} (rank correlation {abs(rho):.2f} over"
                        f" {len(numeric)} runs)",
                    )
                )
            continue
        groups: dict[str, list[float]] = {}
        for x, y in values:
            groups.setdefault("default" if x is None else str(x), []).append(y)
        if len(groups) < 2:
            continue
        best_name, best_ys = min(groups.items(), key=lambda kv: statistics.fmean(kv[1]))
        rest = [y for name, ys in groups.items() if name != best_name for y in ys]
        gap = statistics.fmean(rest) - statistics.fmean(best_ys)
        spread = statistics.pstdev([y for ys in groups.values() for y in ys]) or 1.0
        found.append(
            (
                min(1.0, gap / spread / 2),
                f"{key}={best_name} averaged {data.metric} {num(sign * statistics.fmean(best_ys))} over"
                f" {len(best_ys)} run(s), against {num(sign * statistics.fmean(rest))} for the other"
                f" choices ({len(rest)} run(s))",
            )
        )
    return [text for _, text in sorted(found, key=lambda f: -f[0])[:4]]


def _overview(data: DashboardData) -> str:
    counts = Counter(v.run.status for v in data.runs)
    parts = [f"{n} {STATUS_WORDS.get(s, s)}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    c = data.campaign
    text = (
        f"Campaign {c.id} ({c.goal_address}) recorded {len(data.runs)} proposal(s) of a budget of"
        f" {data.budget_runs} runs, reaching tier {c.tier} of {data.max_tier}"
    )
    text += f": {', '.join(parts)}." if parts else "."
    state = f"It is {c.state}"
    return f"{text} {state}: {c.state_reason}." if c.state_reason else f"{text} {state}."


def _best(data: DashboardData) -> str:
    best = data.best
    if best is None:
        return f"No completed run has produced a finite {data.metric} yet."
    text = (
        f"The best run is #{best.seq} ({best.run.run_id}) with {data.metric} {num(best.value)}"
        f" ({data.mode}imised), using {config_text(best)}."
    )
    gain = data.improvement()
    if gain is not None and data.first is not None and data.first is not best:
        text += (
            f" That is {num(gain[0])} ({pct(gain[1])}) better than the first completed run"
            f" (#{data.first.seq}, {num(data.first.value)})."
        )
    if data.target is not None:
        reached = best.value is not None and (
            best.value <= data.target if data.mode == "min" else best.value >= data.target
        )
        text += f" The target {num(data.target)} is {'reached' if reached else 'not reached'}."
    return text


def _monitor(data: DashboardData) -> str:
    c = data.compute
    if not c.interventions:
        return "The in-loop monitor did not need to intervene in any run."
    actions = Counter(e.action for v in data.runs for e in v.interventions)
    listed = ", ".join(f"{a} {n}" for a, n in actions.most_common())
    text = (
        f"The in-loop monitor intervened {c.interventions} time(s) in {c.runs_with_interventions}"
        f" run(s) ({listed})."
    )
    if c.stopped_early:
        text += (
            f" It stopped {c.stopped_early} run(s) early, saving an estimated {seconds(c.saved_s)} of compute"
        )
        text += f" ({c.unestimated} without an estimate)." if c.unestimated else "."
    return text


def _recommendation(data: DashboardData) -> str:
    rec = data.recommendation
    text = f"Recommendation: {ACTION_WORDS.get(rec.action, rec.action)}, because {rec.reason}."
    if data.best is not None:
        text = f"Adopt run #{data.best.seq}'s configuration ({config_text(data.best)}). " + text
    return text


def analysis(data: DashboardData) -> list[str]:
    """The analysis as paragraphs: overview, best run, what helped, the monitor, the recommendation."""
    paragraphs = [_overview(data), _best(data)]
    helped = what_helped(data)
    if helped:
        paragraphs.append("What helped: " + "; ".join(helped) + ".")
    elif data.best is not None:
        paragraphs.append(f"Too few completed runs (under {MIN_RUNS}) to tell which overrides helped.")
    paragraphs.append(_monitor(data))
    paragraphs.append(_recommendation(data))
    return paragraphs
