"""Time the tier-3 validator per file over the corpora and print medians (no assertions).

    .venv/bin/python scripts/bench_validator.py [--repeat N]

Each file is validated `--repeat` times after one warm-up pass; a file's time is the median
of its runs, and the summary prints the median and 95th percentile over files, per corpus,
plus a ~300-line model stitched from the benign corpus (the issue's "well under 50 ms" bar).
`--clock cpu` measures process time instead of wall time, which other load disturbs less.

It also prints the verdict rates issue 12 targets, per corpus and per half: every corpus file
falls into `tune` or `holdout` by the first byte of sha256(filename) (even: tune). Rules were
tuned on `tune` only; `holdout` is the honest estimate. Targets: red-team 100% rejected,
benign >= 95% accepted, median validation time < 5 ms per file.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sentinel.validator import validate_path, validate_source

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {
    "redteam": ROOT / "tests" / "security" / "redteam",
    "benign": ROOT / "tests" / "security" / "benign",
    "built-in": ROOT / "sandbox" / "runtime" / "models",
}
TARGET_LINES = 300


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def _median_ms(run: Callable[[], object], repeat: int, clock: Callable[[], float]) -> float:
    samples = []
    for _ in range(repeat):
        start = clock()
        run()
        samples.append((clock() - start) * 1000)
    return statistics.median(samples)


def half(name: str) -> str:
    """The deterministic tune/holdout split of a corpus file, by its file name."""
    return "tune" if hashlib.sha256(name.encode("utf-8")).digest()[0] % 2 == 0 else "holdout"


def _verdicts() -> None:
    print(f"{'corpus':<10} {'half':<8} {'files':>5} {'as intended':>12} {'rate':>7}")
    for name in ("redteam", "benign"):
        files = sorted(CORPORA[name].glob("*.py"))
        for which in ("tune", "holdout", "all"):
            chosen = [p for p in files if which in ("all", half(p.name))]
            if name == "benign":
                good = sum(validate_path(p).accepted for p in chosen)
            else:
                good = sum(not validate_path(p).accepted for p in chosen)
            rate = 100.0 * good / len(chosen) if chosen else 0.0
            verb = "accepted" if name == "benign" else "rejected"
            print(f"{name:<10} {which:<8} {len(chosen):>5} {good:>5} {verb:<6} {rate:>6.1f}%")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _stitched_model() -> str:
    """Benign files joined into one module of about TARGET_LINES lines (future imports dropped)."""
    lines: list[str] = []
    for path in sorted(CORPORA["benign"].glob("*.py")):
        body = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(("from __future__", "# ruff:"))
        ]
        lines += [*body, "", ""]
        if len(lines) >= TARGET_LINES:
            break
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per file (median is kept)")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="cpu: process time, steadier on a busy host"
    )
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    print(f"clock: {args.clock}, {args.repeat} runs per file")

    everything: list[float] = []
    print(f"{'corpus':<10} {'files':>5} {'lines(med)':>10} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, folder in CORPORA.items():
        files = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
        if not files:
            print(f"{name:<10} {0:>5}  (no files)")
            continue
        for path in files:
            validate_path(path)  # warm-up: imports, allowlist, caches
        times = [_median_ms(lambda p=path: validate_path(p), args.repeat, clock) for path in files]
        lines = statistics.median(len(p.read_bytes().splitlines()) for p in files)
        everything += times
        print(
            f"{name:<10} {len(files):>5} {lines:>10.0f} {statistics.median(times):>10.2f}"
            f" {_p95(times):>8.2f} {max(times):>8.2f}"
        )
    overall = f"{statistics.median(everything):>10.2f} {_p95(everything):>8.2f}"
    print(f"{'all':<10} {len(everything):>5} {'':>10} {overall}")

    source = _stitched_model()
    report = validate_source(source)
    stitched = _median_ms(lambda: validate_source(source), args.repeat, clock)
    verdict = "accepted" if report.accepted else f"rejected: {sorted(report.codes)}"
    print(f"stitched benign model: {len(source.splitlines())} lines, median {stitched:.2f} ms ({verdict})")
    print()
    _verdicts()


if __name__ == "__main__":
    main()
