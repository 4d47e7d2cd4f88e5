"""The live view of a running campaign: notes as lines, one progress bar per run, best so far.

Progress comes from each run's metrics.jsonl read through the hostile-input tail; only its
numbers are shown.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from sentinel.agent.review import printable
from sentinel.agent.store import Claim, RunRecord


class LiveView:
    def __init__(self, console: Console, metric: str) -> None:
        self.console, self.metric = console, metric
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._tails: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> LiveView:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def note(self, message: str) -> None:
        # Notes quote a brain's rationale (an LLM's text): no markup, no control characters.
        self.console.print(Text("• ", style="cyan") + Text(printable(message)), highlight=False)

    def run_started(self, claim: Claim, config: dict[str, Any] | None) -> None:
        with self._lock:
            label = printable(f"run {claim.proposal.seq} {' '.join(claim.proposal.override_args())}")[:90]
            label = escape(label)  # progress descriptions are rendered as markup
            self._tasks[claim.run.run_id] = self.progress.add_task(label, total=None)

    def run_progress(self, run_id: str, artifacts_dir: Path, config: dict[str, Any]) -> None:
        from sentinel.sandbox.artifacts import MetricsTail

        with self._lock:
            task = self._tasks.get(run_id)
            if task is None:
                return
            if run_id not in self._tails:
                self._tails[run_id] = MetricsTail(artifacts_dir)
                self.progress.update(task, total=int(config.get("trainer", {}).get("epochs", 1)))
            for record in self._tails[run_id].poll():
                if record.split == "val":
                    self.progress.update(task, completed=record.epoch + 1)

    def run_finished(self, run: RunRecord, best: RunRecord | None) -> None:
        with self._lock:
            task = self._tasks.pop(run.run_id, None)
            self._tails.pop(run.run_id, None)
            if task is not None:
                self.progress.remove_task(task)
        value = run.metric(self.metric)
        shown = f"{value:.4g}" if value is not None and math.isfinite(value) else "-"
        best_value = best.metric(self.metric) if best else None
        best_text = f"{best_value:.4g} ({best.run_id})" if best and best_value is not None else "-"
        style = "green" if run.status == "completed" else "yellow"
        self.console.print(
            f"[{style}]{run.status:<18}[/] run {run.proposal.seq} {self.metric}={shown}"
            f"  best so far {best_text}",
            highlight=False,
        )
        if run.event_count > 0:  # the in-loop monitor acted: say so, in Sentinel's words
            saved = "and the run still completed" if run.status == "completed" else f"(run {run.status})"
            self.console.print(
                f"  [magenta]monitor[/] acted in run {run.proposal.seq} ({run.event_count} event(s)) {saved}",
                highlight=False,
            )
