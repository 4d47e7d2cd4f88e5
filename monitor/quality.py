"""Run quality reports: a collapse, or a run that stalled well above what it already reached.

A scale-free monitor cannot know how good a run *could* be, so these are reports, not remedies:
they are written to monitor_events.jsonl as `action: "none"` (nothing was changed; the bench
does not count them as interventions) so the host, `monitor status` and a campaign can see that
a completed run is not a healthy one. Each kind is reported at most once per run.

- `collapse`: the loss has stopped moving while still >= `plateau_collapse_elevated` x its start
  level, with gradient norms <= `plateau_collapse_grad` x those of the first steps: the model sits
  at a constant predictor and more steps will not move it. Judged anywhere in the run (the
  plateau detector only sees collapses while the first steps are still in its window).
- `mediocre`: no progress over `mediocre_stall` patiences while the smoothed loss is >=
  `mediocre_regress` x the lowest smoothed loss of the run: it settled, stably, far above where
  it has already been.
"""

from __future__ import annotations

import math

import numpy as np

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Finding
from sentinel.monitor.signals import SignalWindow

__all__ = ["QualityWatch"]


class QualityWatch:
    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self.early_grad = math.nan  # median norm of the run's first steps, kept for the whole run
        self.reported: set[str] = set()

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        """Called at trend ticks; pure apart from remembering what it already reported."""
        cfg = self.config
        if not math.isfinite(self.early_grad) and window.count >= cfg.start_steps:
            early = window.values("grad_norm", window.count)[: cfg.start_steps]
            if len(early):
                self.early_grad = float(np.median(early))
        patience = cfg.plateau_patience
        losses = window.values("loss", cfg.mediocre_stall * patience)
        if len(losses) < cfg.mediocre_stall * patience or not window.start_loss > 0:
            return None
        head = float(np.median(losses[:patience]))
        tail = float(np.median(losses[-patience:]))
        stalled = head > 0 and (head - tail) / head < cfg.plateau_min_gain
        if not stalled:
            return None
        grads = window.values("grad_norm", patience)
        grad_drop = float(np.median(grads)) / self.early_grad if self.early_grad > 0 else math.nan
        level = tail / window.start_loss
        evidence = {"loss": tail, "start_loss": float(window.start_loss), "level": float(level)}
        if (
            "collapse" not in self.reported
            and level >= cfg.plateau_collapse_elevated
            and grad_drop <= cfg.plateau_collapse_grad
        ):
            self.reported.add("collapse")
            return Finding("collapse", step, {**evidence, "grad_drop": grad_drop})
        best = window.ewma_min  # the lowest smoothed loss of the run so far (kept by the window)
        regress = tail / best if 0 < best < math.inf else math.nan
        if "mediocre" not in self.reported and regress >= cfg.mediocre_regress:
            self.reported.add("mediocre")
            return Finding("mediocre", step, {**evidence, "best_loss": float(best), "regress": regress})
        return None
