"""Scoring on canned outcomes from a tiny in-memory executor (the transport seam)."""

import math

import pytest

from sentinel.agent.monitoring.bench import RunOutcome, parse_suite, run_suite
from sentinel.agent.monitoring.bench.report import format_summary, write_results
from sentinel.contract.records import MonitorEvent

NAN_AT_50 = [{"kind": "nan_loss", "at_step": 50}]
NAN_AT_20 = [{"kind": "nan_loss", "at_step": 20}]
SUITE = parse_suite(
    {
        "name": "t",
        "conditions": [
            {"name": "clean", "experiment": "digits", "seeds": [0, 1, 2]},
            {"name": "fixed", "experiment": "digits", "baseline": "clean", "fault_step": 1},
            {"name": "unfixed", "experiment": "digits", "baseline": "clean", "faults": NAN_AT_50},
            {"name": "benign", "experiment": "digits", "baseline": "clean", "faults": NAN_AT_20},
        ],
    }
)


def _event(step, action, anomaly="nan"):
    return MonitorEvent(step, anomaly, action)


OK, BAD = "completed", "diverged"
# (condition, seed, monitored) -> (status, final loss, events)
CANNED = {
    ("clean", 0, True): (OK, 1.00, []),
    ("clean", 0, False): (OK, 1.00, []),
    ("clean", 1, True): (OK, 1.10, [_event(9, "skip")]),
    ("clean", 1, False): (OK, 1.02, []),
    ("clean", 2, True): (OK, 0.90, []),
    ("clean", 2, False): (OK, 0.90, []),
    ("fixed", 0, True): (OK, 1.05, [_event(3, "rollback")]),
    ("fixed", 0, False): (BAD, 9.0, []),
    ("unfixed", 0, True): (OK, 2.0, [_event(50, "skip"), _event(60, "lr_cut")]),
    ("unfixed", 0, False): (OK, 3.0, []),
    ("benign", 0, True): (OK, 1.04, [_event(20, "skip")]),
    ("benign", 0, False): (OK, 0.98, []),
}


class CannedExecutor:
    def __init__(self):
        self.requests = []

    def run(self, request):
        self.requests.append(request)
        status, loss, events = CANNED[(request.condition, request.seed, request.monitored)]
        return RunOutcome(status, loss, loss, 100, 1.5, tuple(events))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_suite(SUITE, CannedExecutor(), tmp_path_factory.mktemp("bench"), jobs=2)


def test_twins_share_seed_and_faults_and_differ_only_in_the_monitor(tmp_path):
    executor = CannedExecutor()
    run_suite(SUITE, executor, tmp_path)
    by_key = {}
    for r in executor.requests:
        by_key.setdefault((r.condition, r.seed), []).append(r)
    for twins in by_key.values():
        monitored, shadow = sorted(twins, key=lambda r: not r.monitored)
        assert monitored.overrides[:-1] == shadow.overrides[:-1]
        assert (monitored.overrides[-1], shadow.overrides[-1]) == (
            "monitor.enabled=true",
            "monitor.enabled=false",
        )


def test_verdicts(result):
    verdicts = {(p.condition.name, p.seed): p.verdict for p in result.pairs}
    assert verdicts[("fixed", 0)] == "resolved"  # shadow diverged, monitored within 10% of median 1.0
    assert verdicts[("unfixed", 0)] == "unresolved"
    assert verdicts[("benign", 0)] == "benign"  # the shadow was fine: not counted as faulty-and-failing
    assert all(p.clean_median == 1.0 for p in result.pairs)


def test_summary_numbers(result):
    s = result.summary()
    assert (s["resolved"], s["faulty_shadow_failed"], s["resolution_rate"]) == (1, 2, 0.5)
    assert (s["false_positives"], s["clean_runs"]) == (1, 3)
    assert s["no_harm_pairs"] == 4  # 3 clean + 1 benign
    # clean seed 1 (1.10 vs its shadow 1.02 and the clean median 1.0) is harm; benign (1.04 vs its
    # shadow 0.98) is within 5% of the clean median 1.0: the fault had helped the shadow
    assert s["no_harm_rate"] == pytest.approx(3 / 4)
    assert s["median_detection_latency"] == 0.0  # latencies 2 (fixed), 0 (unfixed), 0 (benign)
    assert s["max_detection_latency"] == 2.0


def test_detected_versus_intervened(result):
    pair = {(p.condition.name, p.seed): p for p in result.pairs}
    assert pair[("benign", 0)].detected and not pair[("benign", 0)].intervened  # containment only
    assert pair[("unfixed", 0)].intervened and pair[("unfixed", 0)].first_action == "skip"


def test_outputs_are_strict_and_complete(result, tmp_path):
    import json

    write_results(result, tmp_path)
    table = (tmp_path / "results_table.txt").read_text().splitlines()
    assert table[0].split()[:4] == ["condition", "seed", "agent", "loss"]
    assert len(table) == 2 + len(result.pairs)
    log = [json.loads(line) for line in (tmp_path / "experiment_log.jsonl").read_text().splitlines()]
    assert {r["verdict"] for r in log} == {"clean", "resolved", "unresolved", "benign"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resolution_rate"] == 0.5 and summary["suite"] == "t"
    assert "resolution: 1/2" in format_summary(result)
    assert not math.isnan(summary["wall_seconds"])


def test_a_failed_clean_shadow_makes_an_invalid_baseline_and_unjudgeable_conditions(tmp_path):
    suite = parse_suite(
        {
            "name": "u",
            "conditions": [
                {"name": "clean", "experiment": "digits", "seeds": [0, 1]},
                {"name": "faulty", "experiment": "digits", "baseline": "clean", "faults": NAN_AT_50},
            ],
        }
    )
    canned = {
        ("clean", 0, True): (OK, 1.0, []),
        ("clean", 0, False): (OK, 1.0, []),
        ("clean", 1, True): (OK, 1.0, [_event(5, "rollback")]),
        ("clean", 1, False): (BAD, math.nan, []),  # the yardstick itself diverged
        ("faulty", 0, True): (OK, 9.0, []),
        ("faulty", 0, False): (OK, 9.0, []),
    }

    class Executor:
        def run(self, request):
            status, loss, events = canned[(request.condition, request.seed, request.monitored)]
            return RunOutcome(status, loss, loss, 100, 1.0, tuple(events))

    result = run_suite(suite, Executor(), tmp_path)
    verdicts = {(p.condition.name, p.seed): p.verdict for p in result.pairs}
    assert verdicts == {
        ("clean", 0): "invalid_baseline",
        ("clean", 1): "invalid_baseline",
        ("faulty", 0): "unjudgeable",  # never silently failed
    }
    s = result.summary()
    assert (s["invalid_baselines"], s["unjudgeable_pairs"], s["faulty_shadow_failed"]) == (1, 1, 0)
    assert s["clean_runs"] == 0 and s["false_positives"] == 0


def test_reports_are_not_interventions(tmp_path):
    suite = parse_suite({"name": "r", "conditions": [{"name": "clean", "experiment": "digits"}]})
    report = _event(90, "none", "mediocre")

    class Executor:
        def run(self, request):
            return RunOutcome(OK, 1.0, 1.0, 100, 1.0, (report,) if request.monitored else ())

    [pair] = run_suite(suite, Executor(), tmp_path).pairs
    assert not pair.detected and pair.reports == [report]
