"""The dashboard of a small campaign, opened from disk in headless Chromium (Debian's build, driven
by Playwright): no console errors, no network request beyond the file itself, the charts in the
DOM, and a screenshot (SENTINEL_UPDATE_SCREENSHOT=1 also refreshes docs/dashboard.png).

A control page proves the harness is not blind: a request and a CSP violation are both seen.
Chromium comes from scripts/setup-browser.sh; without it this test fails under CI and skips
loudly elsewhere (tests/conftest.py `_missing`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _support import honest_trusted
from conftest import _missing

from sentinel.agent.dashboard import write_dashboard
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.artifacts import read_artifacts

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CAMPAIGN = "hr_optimize-demo"
SHA = "ef" * 32
STEPS, EVERY = 500, 10  # 10 epochs of 50 steps, a train line every 10 steps
DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


def _loss(step: int, lr: float, floor: float) -> float:
    """A plausible training loss: fast early descent, a floor that depends on the LR, some wiggle."""
    speed = min(1.0, lr / 0.01)
    return floor + 1.6 * math.exp(-step * speed / 90) + 0.03 * math.sin(step / 7.0)


def _artifacts(
    folder: Path,
    lr: float,
    mae: float,
    *,
    spike_at: int | None = None,
    blow_up_at: int | None = None,
    events: tuple[dict, ...] = (),
) -> object:
    art = folder / "artifacts"
    art.mkdir(parents=True)
    lines, last = [], blow_up_at or STEPS
    floor = mae / 12
    for step in range(EVERY, last + 1, EVERY):
        loss = _loss(step, lr, floor)
        if spike_at is not None and spike_at <= step < spike_at + 40:
            loss *= 1 + 2.5 * math.exp(-(step - spike_at) / 12)
        if blow_up_at is not None and step > blow_up_at - 60:
            loss *= math.exp((step - blow_up_at + 60) / 9)
        line = {
            "step": step,
            "epoch": (step - 1) // 50,
            "split": "train",
            "loss": loss,
            "grad_norm": 1.2,
            "lr": lr,
        }
        if blow_up_at is not None and step == last:
            line.update(loss=None, grad_norm=None, nonfinite=["loss", "grad_norm"])
        lines.append(line)
        if step % 50 == 0:
            progress = step / STEPS
            value = mae + (mae * 0.9) * (1 - progress) ** 2
            lines.append(
                {"step": step, "epoch": step // 50 - 1, "split": "val", "loss": value / 12, "mae": value}
            )
    (art / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    best = {"epoch": last // 50 - 1, "step": last, "val/loss": mae / 12, "val/mae": mae}
    summary = {
        "status": "diverged" if blow_up_at else "completed",
        "epochs": last // 50,
        "steps": last,
        "best": best,
        "final": best,
    }
    (art / "summary.json").write_text(json.dumps(summary))
    if events:
        (art / "monitor_events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (folder / "config.yaml").write_text("trainer:\n  epochs: 10\n  max_steps: null\n")
    return read_artifacts(art)


@dataclass
class Campaign:
    """Builds the campaign step by step at a fixed clock, as the loop would record it."""

    store: FeedbackStore
    runs: Path
    clock: float = 1_767_000_000.0
    seqs: list[int] = field(default_factory=list)

    def tick(self, seconds: float) -> float:
        self.clock += seconds
        return self.clock

    def propose(self, overrides: dict, rationale: str, tier: int = 1, model_ref: str | None = None) -> int:
        p = self.store.add_proposal(
            CAMPAIGN,
            tier=tier,
            brain="strategist",
            overrides=overrides,
            rationale=rationale,
            model_ref=model_ref,
            now=self.tick(2),
        )
        return p.id

    def run(
        self, pid: int, status: str, seconds: float, reason: str = "the run exited with code 0", **art: object
    ) -> None:
        self.store.record_validation(pid, True, config_sha256=SHA, now=self.tick(1))
        self.store.record_approval(pid, "approved", "auto", now=self.tick(1))
        claim = self.store.claim_next(CAMPAIGN, now=self.tick(1))
        assert claim is not None
        folder = self.runs / CAMPAIGN / claim.run.run_id
        artifacts = _artifacts(folder, **art) if art else None  # type: ignore[arg-type]
        self.store.record_run(
            claim.run.run_id,
            status,
            reason=reason,
            artifacts=artifacts,
            trusted=honest_trusted(artifacts),
            duration_s=seconds,
            isolation="runc",
            out_dir=str(folder),
            now=self.tick(seconds),
        )


def build(tmp_path: Path) -> tuple[FeedbackStore, Path]:
    store = FeedbackStore(tmp_path / "feedback.db")
    c = Campaign(store, tmp_path / "runs")
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=7, campaign_id=CAMPAIGN, now=c.clock)
    lr_cut = {
        "step": 262,
        "anomaly": "loss_spike",
        "action": "lr_cut",
        "evidence": {"ratio": 3.4},
        "params": {"factor": 0.5},
    }
    stop = {"step": 180, "anomaly": "nan", "action": "stop", "evidence": {"loss": None}, "params": {}}
    grow = {
        "step": 150,
        "anomaly": "divergence",
        "action": "rollback",
        "evidence": {"slope": 2.1},
        "params": {"to_step": 100},
    }
    c.run(
        c.propose({"model": "cnn1d", "trainer.lr": 0.003}, "baseline at the defaults"),
        "completed",
        41,
        lr=0.003,
        mae=5.8,
    )
    c.run(
        c.propose({"model": "cnn1d", "trainer.lr": 0.01}, "search: higher lr"),
        "completed",
        39,
        lr=0.01,
        mae=5.1,
        spike_at=250,
        events=(lr_cut,),
    )
    c.run(
        c.propose({"model": "mlp", "trainer.lr": 0.08}, "search: bold lr"),
        "diverged",
        14,
        reason="the run exited with code 0",
        lr=0.08,
        mae=9.4,
        blow_up_at=180,
        events=(grow, stop),
    )
    c.run(
        c.propose({"model": "resnet1d", "trainer.lr": 0.001}, "search: try resnet1d"),
        "timeout",
        600,
        reason="the run hit its 600 s limit",
    )
    c.run(
        c.propose({"model": "resnet1d", "trainer.lr": 0.003}, "search: resnet1d at the best lr"),
        "completed",
        52,
        lr=0.004,
        mae=4.6,
    )
    pid = c.propose({"model": "resnet1d", "trainer.lr": 0.09}, "search: bold lr on resnet1d")
    store.record_validation(pid, True, config_sha256=SHA, now=c.tick(1))
    store.record_approval(pid, "rejected", "lr-policy", now=c.tick(3))
    store.record_escalation(
        CAMPAIGN,
        2,
        "the campaign's best gained no more than 0.05 scales in 3 runs",
        {"gain": 0.02},
        now=c.tick(5),
    )
    c.run(
        c.propose(
            {"model": "resnet1d", "trainer.lr": 0.004, "trainer.weight_decay": 1e-4},
            "config variant: resnet1d with weight decay",
            tier=2,
        ),
        "completed",
        55,
        lr=0.005,
        mae=4.2,
    )
    store.record_escalation(
        CAMPAIGN, 3, "config variants stagnated; every known model tried", {"gain": 0.03}, now=c.tick(5)
    )
    bad = c.propose({"trainer.lr": 0.004}, "generated: dilated conv stack", 3, "generated.dilated_a.Net")
    store.record_validation(
        bad, False, reason="generated model dilated_a.py rejected by the validator", now=c.tick(2)
    )
    c.run(
        c.propose({"trainer.lr": 0.004}, "generated: residual stack, wider", 3, "generated.res_wide.Net"),
        "completed",
        63,
        lr=0.006,
        mae=3.9,
    )
    store.set_campaign_state(CAMPAIGN, "finished", "the target val/mae 4 is reached (3.9)", now=c.tick(1))
    return store, tmp_path / "runs"


@dataclass
class Visit:
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not CHROMIUM.exists():
        _missing("Debian's chromium at /usr/bin/chromium (scripts/setup-browser.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (test-only; drives Debian's chromium)")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


def visit(context, url: str) -> tuple[object, Visit]:
    seen = Visit()
    page = context.new_page()
    page.on("console", lambda m: seen.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # late console messages (CSP reports) arrive after load
    return page, seen


def test_dashboard_opens_offline_with_charts_and_no_errors(browser, tmp_path: Path) -> None:
    store, runs = build(tmp_path)
    html_file = write_dashboard(store, CAMPAIGN, tmp_path / "dashboard.html", runs)
    page, seen = visit(browser, html_file.resolve().as_uri())
    assert [m for m in seen.console if m[0] in {"error", "warning"}] == [] and seen.errors == []
    assert seen.requests == [html_file.resolve().as_uri()]  # the file itself, nothing else
    charts = page.eval_on_selector_all("svg[data-chart]", "els => els.map(e => e.dataset.chart)")
    assert charts == ["progression", "train-loss", "val-metric", "approvals"]
    for name in charts:
        box = page.locator(f'svg[data-chart="{name}"]').bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 40
        assert page.locator(f'svg[data-chart="{name}"] path, svg[data-chart="{name}"] circle').count() > 0
    assert page.locator('svg[data-chart="train-loss"] g.marker').count() == 3  # lr_cut, rollback, stop
    assert page.locator("table tbody tr").count() >= 9
    assert page.evaluate("document.scripts.length") == 0
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if os.environ.get("SENTINEL_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_PNG)


def test_the_harness_sees_requests_and_csp_violations(browser, tmp_path: Path) -> None:
    """Control: were the checks above blind, a leaking page would pass them too."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/pixel.png"></body></html>')
    _, seen = visit(browser, leaky.as_uri())
    assert any(url.startswith("http://127.0.0.1:9/") for url in seen.requests)
    strict = tmp_path / "strict.html"
    strict.write_text(
        "<!DOCTYPE html><html><head>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head>'
        "<body><script>document.title = 'ran'</script></body></html>"
    )
    page, seen = visit(browser, strict.as_uri())
    assert page.title() != "ran"
    assert any(kind == "error" and "Content Security Policy" in text for kind, text in seen.console)
