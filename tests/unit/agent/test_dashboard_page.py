"""The dashboard page: self-contained under a strict CSP, charts named for the browser test,
cards, badges and markers present, and hostile overrides, rationales and reasons kept as text
(checked by parsing the page as a browser would, not by searching strings)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from test_dashboard import (
    CAMPAIGN,
    HOSTILE_MODEL,
    HOSTILE_NOTE,
    HOSTILE_RATIONALE,
    HOSTILE_REASON,
    _propose,
    _run,
    campaign,
)

from sentinel.agent.dashboard import gather, render_dashboard, write_dashboard
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore

__all__ = ["campaign"]  # the shared fixture: a small campaign with every kind of run


class _Tags(HTMLParser):
    """Every start tag with its attributes, and all text as the browser would read it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "div", "section", "small",
    "code", "span", "table", "thead", "tbody", "tr", "th", "td", "ol", "ul", "li", "figure", "figcaption",
    "footer", "svg", "g", "path", "rect", "line", "text", "circle", "polygon",
}  # fmt: skip


def parse(html_text: str) -> _Tags:
    parser = _Tags()
    parser.feed(html_text)
    parser.close()
    return parser


def test_hostile_strings_stay_text(campaign) -> None:
    store, runs = campaign
    page = render_dashboard(gather(store, CAMPAIGN, runs))
    parsed = parse(page)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS  # no script, img, iframe, a, link, ...
    for _, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs)
        assert not any("javascript:" in (value or "") for value in attrs.values())
    text = "".join(parsed.text)
    for hostile in (HOSTILE_MODEL, HOSTILE_NOTE, HOSTILE_REASON, "the budget <b>is</b> spent"):
        assert hostile in text  # shown to the reader exactly as written, as text
    assert "<script" not in page.lower() and "<iframe" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&#39;model&#39;)&lt;/script&gt;" in page  # markupsafe's escaping


def test_hostile_rationale_of_the_best_run_stays_text(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=3, campaign_id=CAMPAIGN, now=1000.0)
    pid = _propose(store, {"trainer.lr": 0.003, "model": HOSTILE_MODEL}, rationale=HOSTILE_RATIONALE)
    _run(store, tmp_path / "runs", pid, "completed", 0, mae=[6.0, 5.0])
    page = render_dashboard(gather(store, CAMPAIGN, tmp_path / "runs"))
    parsed = parse(page)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert HOSTILE_RATIONALE in "".join(parsed.text)
    assert "<script" not in page.lower() and "<b>bold" not in page


def test_page_is_self_contained_with_a_strict_csp_and_named_charts(campaign) -> None:
    store, runs = campaign
    page = render_dashboard(gather(store, CAMPAIGN, runs))
    parsed = parse(page)
    csp = [
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and csp[0].startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    assert "script-src" not in csp[0]
    charts = [a["data-chart"] for t, a in parsed.tags if t == "svg" and "data-chart" in a]
    assert charts == ["progression", "train-loss", "val-metric", "approvals"]
    assert not re.search(r"(?:https?:)?//[a-z0-9]", page.replace("http://www.w3.org", ""))  # no URLs at all
    assert not any(a.get("src") or a.get("href") for _, a in parsed.tags)
    words = "".join(parsed.text).lower().replace("nan at step", "").split()  # "nan" is also an anomaly name
    assert "nan" not in words and "inf" not in words  # non-finite numbers never print as text


def test_page_shows_cards_badges_table_and_markers(campaign) -> None:
    store, runs = campaign
    page = render_dashboard(gather(store, CAMPAIGN, runs))
    text = "".join(parse(page).text)
    for card in (
        "Runs",
        "Best val/mae",
        "Improvement over the first run",
        "Drift / stagnation",
        "Tier reached",
        "Compute",
    ):
        assert card in text
    for status in (
        "completed",
        "diverged",
        "timeout",
        "rejected by validator",
        "rejected by reviewer",
        "failed",
    ):
        assert f">{status}</span>" in page
    assert "run #2: loss_spike at step 31, action lr_cut" in text  # marker hover titles
    assert "run #3: nan at step 45, action stop" in text
    assert "saved by the monitor ≈ 30 s" in text
    assert "generated.res_a.Net" in text and "generated model bad_net.py rejected by the validator" in text
    assert "trainer.lr=0.005" in text


def test_empty_campaign_renders(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    store.create_campaign(load_goal("digits:quick"), seed=0, campaign_id="empty-one", now=1.0)
    page = render_dashboard(gather(store, "empty-one", tmp_path))
    assert "no data to plot yet" in page and "No completed run has produced a finite val/acc yet." in page


def test_write_dashboard_is_atomic_and_leaves_no_temporaries(campaign, tmp_path: Path) -> None:
    store, runs = campaign
    out = tmp_path / "out" / "dashboard.html"
    assert write_dashboard(store, CAMPAIGN, out, runs) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["dashboard.html"]


QUOTE_BREAKOUT = '" onmouseover="alert(1)" x="'
SCRIPT = "</code></td><script>alert('x')</script>"


def test_templates_escape_hostile_strings_in_text_and_attributes(tmp_path: Path) -> None:
    """A reason, rationale and config value with `<script>` and `"` stay text, inside elements
    and inside attributes (the charts' hover titles), in the jinja2-rendered page."""
    store = FeedbackStore(tmp_path / "feedback.db")
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=3, campaign_id=CAMPAIGN, now=1000.0)
    hostile = QUOTE_BREAKOUT + SCRIPT
    pid = _propose(store, {"trainer.lr": 0.003, "trainer.note": hostile}, rationale=hostile)
    _run(store, tmp_path / "runs", pid, "completed", 0, mae=[6.0, 5.0], reason=hostile)
    page = render_dashboard(gather(store, CAMPAIGN, tmp_path / "runs"))
    parsed = parse(page)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert all(name != "onmouseover" for _, attrs in parsed.tags for name in attrs)
    text = "".join(parsed.text)
    assert text.count(hostile) >= 2  # the reason in the table and the best run's rationale
    assert "<script" not in page and 'onmouseover="' not in page
    assert "&#34; onmouseover=&#34;alert(1)&#34;" in page  # markupsafe's escaping of the quote


def test_bench_page_escapes_hostile_title_case_and_cells() -> None:
    from sentinel.agent.dashboard import render_bench_page

    case = QUOTE_BREAKOUT + "<script>x</script>"
    page = render_bench_page(
        [{"case": case, SCRIPT: case, "verdict": '"rescued"'}],
        {case: {"monitored": [(0, 1.0), (1, 0.5)], "shadow": [(0, 1.0), (1, 2.0)]}},
        title=case,
        summary=[SCRIPT],
    )
    parsed = parse(page)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert all(name != "onmouseover" for _, attrs in parsed.tags for name in attrs)
    labels = [a["aria-label"] for t, a in parsed.tags if t == "svg" and "aria-label" in a]
    assert labels == [f"{case}: monitored vs shadow"]  # an attribute value, exactly as written
    assert "<script" not in page and "&lt;/code&gt;&lt;/td&gt;&lt;script&gt;" in page
    text = "".join(parsed.text)
    assert case in text and SCRIPT in text and '"rescued"' in text
