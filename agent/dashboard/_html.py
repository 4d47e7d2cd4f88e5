"""The page shell every Sentinel report shares: strict CSP, inline CSS, no script, escaped text.

The Content-Security-Policy forbids every fetch (default-src 'none'), every script (no
script-src at all) and every base or form target, so even a string that escaped escaping
could neither run nor call home; inline styles and data: images are the only exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sentinel.agent.dashboard._format import esc

__all__ = ["CSP", "badge", "card", "page", "section", "table"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

#: Status -> badge class. Classes come only from this table, never from data.
BADGES = {
    "completed": "ok",
    "accepted": "ok",
    "approved": "ok",
    "finished": "ok",
    "rescued": "ok",
    "diverged": "warn",
    "paused": "warn",
    "pending": "warn",
    "running": "run",
    "failed": "bad",
    "timeout": "bad",
    "oom": "bad",
    "killed": "bad",
    "artifact_rejected": "bad",
    "integrity_mismatch": "bad",
    "lost": "warn",
    "rejected": "rej",
    "rejected_by_validator": "rej",
    "rejected_by_reviewer": "rej",
    "validator_rejected": "rej",
    "escalated": "run",
}

STYLE = """
:root { color-scheme: light; --ink:#1d2430; --muted:#5b6472; --line:#d0d4da; --bg:#f5f6f8; }
* { box-sizing: border-box; }
body { margin:0; padding:24px 32px 48px; background:var(--bg); color:var(--ink);
  font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size:22px; margin:0 0 4px; } h2 { font-size:17px; margin:28px 0 10px; }
.sub { color:var(--muted); margin:0 0 16px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(250px, 1fr)); gap:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card h3 { margin:0; font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
.card .big { font-size:24px; font-weight:600; margin:4px 0 2px; overflow-wrap:anywhere; }
.card p { margin:2px 0; color:var(--muted); overflow-wrap:anywhere; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid #e6e8eb; vertical-align:top; }
th { background:#eef0f3; font-weight:600; white-space:nowrap; }
td.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
code { font:12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap:break-word; }
.wide { overflow-x:auto; } td.id code { white-space:nowrap; } td.cfg { min-width:220px; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; white-space:nowrap;
  background:#e3e6ea; color:#333; }
.badge.ok { background:#d9f2e3; color:#135c33; } .badge.warn { background:#fdf0cf; color:#7a5300; }
.badge.bad { background:#fadcdc; color:#8a1c1c; } .badge.rej { background:#eadcf5; color:#5a2a82; }
.badge.run { background:#dbe9fb; color:#1a4f8f; }
figure.chart { margin:0 0 18px; background:#fff; border:1px solid var(--line); border-radius:8px;
  padding:10px 12px; overflow-x:auto; }
figure.chart figcaption { font-weight:600; margin-bottom:6px; }
figure.chart > svg { width:100%; height:auto; max-width:1400px; display:block; }
svg text { font:11px system-ui, "DejaVu Sans", sans-serif; fill:#444; }
svg text.axis { fill:#222; font-size:12px; } svg .grid { stroke:#eceef1; }
ul.legend { list-style:none; margin:6px 0 0; padding:0; display:flex; flex-wrap:wrap; gap:4px 14px;
  font-size:12px; color:var(--muted); }
.swatch { display:inline-block; width:14px; height:3px; margin-right:5px; vertical-align:middle; }
ol.timeline { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 10px 10px 36px; }
ol.timeline li { margin:3px 0; } .when { color:var(--muted); font-variant-numeric:tabular-nums; }
.analysis { background:#fff; border:1px solid var(--line); border-radius:8px; padding:4px 16px; }
.note { color:var(--muted); font-size:12px; }
footer { margin-top:32px; color:var(--muted); font-size:12px; }
"""


def page(title: str, body: Iterable[str], generator: str = "Sentinel") -> str:
    """A complete, self-contained HTML document around already-escaped `body` parts."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{esc(generator)}">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "<footer>Written by Sentinel as one self-contained file: no scripts, no fonts, no network.</footer>"
        + "</body></html>\n"
    )


def badge(status: str, label: str | None = None) -> str:
    css = BADGES.get(status, "other")
    return f'<span class="badge {css}">{esc(label if label is not None else status.replace("_", " "))}</span>'


def card(title: str, big: str, *lines: str) -> str:
    """A status card; `big` and `lines` are already-escaped HTML fragments."""
    rest = "".join(f"<p>{line}</p>" for line in lines if line)
    return f'<div class="card"><h3>{esc(title)}</h3><div class="big">{big}</div>{rest}</div>'


def section(title: str, anchor: str, *parts: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'


CELL_CLASSES = frozenset({"n", "id", "cfg"})


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    classes: Mapping[int, str] | None = None,
) -> str:
    """An HTML table: `headers` are plain text (escaped here), cells already-escaped fragments.

    `numeric` columns are right-aligned; `classes` gives other columns one of CELL_CLASSES.
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    css = {i: "n" for i in numeric} | {i: c for i, c in (classes or {}).items() if c in CELL_CLASSES}
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{css[i]}">{cell}</td>' if i in css else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="note">nothing recorded yet</td></tr>')
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )
