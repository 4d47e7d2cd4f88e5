"""What a per-step detector remembers across a rollback: the reference it judged by just before.

A rollback restores the window of its snapshot, and with it statistics that may describe an
earlier, wilder phase of training: after a restore to step 64 the next refresh spans steps 1-64,
where a cnn1d's gradient norms still vary 10-fold, so a 100x explosion passes as normal. The
steps replayed after the restore are the ones the pre-rollback reference described, so until the
run is back at the count it was rolled back from, a detector judges by the tighter of the two.
"""

from __future__ import annotations

from sentinel.monitor.signals import Reference, SignalWindow

__all__ = ["RollbackMemory"]


class RollbackMemory:
    """Spots a rollback as the window's count going backwards while a reference survives (a reset,
    after a re-init or a fresh LR restart, leaves none: the old model's statistics no longer
    apply, and neither do they after a restore to the initial snapshot, whose first steps are
    legitimately wild). Pure bookkeeping on what the detector is shown: no hook changes needed."""

    __slots__ = ("_carried", "_last", "_seen", "_until")

    def __init__(self) -> None:
        self._seen = 0  # the window's count at the last call
        self._last: Reference | None = None  # its reference at the last call
        self._carried: Reference | None = None
        self._until = -1  # the carry holds while the window's count is at or below this

    def carried(self, window: SignalWindow) -> Reference | None:
        """The pre-rollback reference to judge by as well, or None."""
        count, ref = window.count, window.reference
        if ref is None:
            self._carried, self._last, self._seen = None, None, count
            return None
        if count < self._seen:  # rolled back; after a second one, keep the first one's reference
            if self._carried is None:
                self._carried = self._last
            self._until = max(self._until, self._seen)
        elif self._carried is not None and count > self._until:
            self._carried = None  # back where the rollback came from: the window's own reference rules
        self._seen, self._last = count, ref
        return self._carried
