"""Recompute bench_strategist's table from the stores a (possibly interrupted) bench left behind.

    .venv/bin/python scripts/_bench_summary.py /tmp/brainbench/main [more folders...]

Reads `<goal>-<budget>-<brain>-<seed>.db` (finished campaigns only; a seed counts when all three
brains finished it). Best values come from the brains' one ranking function (CampaignView.value);
host overhead per run is (last run's end - campaign creation - training time) / runs.
"""

from __future__ import annotations

import math
import re
import statistics
import sys
from pathlib import Path

from sentinel.agent.brains._search import CampaignView
from sentinel.agent.brains._tiers import tier_report, tier_report_text
from sentinel.agent.goals import GoalMetric
from sentinel.agent.store import FeedbackStore

BRAINS = ("strategist", "tpe", "random")
NAME = re.compile(r"^([a-z_]+)-(\d+)-(strategist|tpe|random)-(\d+)\.db$")


def load(folders: list[str]) -> dict[tuple[str, int, int, str], dict]:
    rows = {}
    for folder in folders:
        for db in sorted(Path(folder).glob("*.db")):
            m = NAME.match(db.name)
            if not m:
                continue
            store = FeedbackStore(db)
            campaigns = store.list_campaigns()
            if not campaigns or campaigns[0].state != "finished":
                continue
            c = campaigns[0]
            spec = dict(c.goal)["metric"]
            metric = GoalMetric(spec["name"], spec["mode"])
            runs = store.runs(c.id)
            best = CampaignView.load(store, c.id, metric).best()
            wall = max(r.finished_at or c.created_at for r in runs) - c.created_at
            train = sum(r.duration_s or 0.0 for r in runs)
            rows[(m.group(1), int(m.group(2)), int(m.group(4)), m.group(3))] = {
                "best": best[1] if best else None,
                "runs": len(runs),
                "overhead": (wall - train) / len(runs),
                "tiers": tier_report_text(tier_report(store, c.id, metric)),
                "sign": 1.0 if metric.mode == "min" else -1.0,
                "rescued": sum(1 for r in runs if r.status == "completed" and r.event_count > 0),
            }
    return rows


def sign_test(wins: int, losses: int) -> float:
    n = wins + losses
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n) if n else 1.0


def main(folders: list[str]) -> None:
    rows = load(folders)
    for goal, budget in sorted({(k[0], k[1]) for k in rows}):
        seeds = sorted({k[2] for k in rows if k[:2] == (goal, budget)})
        seeds = [s for s in seeds if all((goal, budget, s, b) in rows for b in BRAINS)]
        print(f"\n{goal} budget {budget}: seeds {seeds}")
        if not seeds:
            continue
        cell = {b: [rows[(goal, budget, s, b)] for s in seeds] for b in BRAINS}
        sign = cell["tpe"][0]["sign"]
        for b, mine in cell.items():
            bests = [x["best"] for x in mine]
            print(
                f"  {b:10s} median best {statistics.median(bests):.4g}"
                f" per seed {[round(v, 4) for v in bests]}"
                f" runs {[x['runs'] for x in mine]}"
                f" host overhead/run median {statistics.median(x['overhead'] for x in mine):.2f} s"
                f" rescued {sum(x['rescued'] for x in mine)}"
            )
        for b in BRAINS[1:]:
            pairs = [
                (sign * s["best"], sign * o["best"]) for s, o in zip(cell["strategist"], cell[b], strict=True)
            ]
            wins, losses = sum(s < o for s, o in pairs), sum(s > o for s, o in pairs)
            print(
                f"  strategist vs {b}: {wins} wins {losses} losses, sign test p={sign_test(wins, losses):.3f}"
            )
        ranks: dict[str, list[float]] = {b: [] for b in BRAINS}
        for i in range(len(seeds)):
            score = {b: sign * cell[b][i]["best"] for b in BRAINS}
            for b in BRAINS:
                ties = sum(score[o] == score[b] for o in BRAINS if o != b)
                ranks[b].append(1 + sum(score[o] < score[b] for o in BRAINS) + 0.5 * ties)
        print("  mean rank", {b: round(statistics.mean(v), 2) for b, v in ranks.items()})
        for s, x in zip(seeds, cell["strategist"], strict=True):
            print(f"  strategist seed {s} tiers: {x['tiers']}")


if __name__ == "__main__":
    main(sys.argv[1:])
