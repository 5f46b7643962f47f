"""Protected release: time, memory and how much is hidden, by database size.

    python -m bench.release [--sizes 60 250 2000]

For each size, fills a fresh database with synthetic responses (`demo-data`), then runs
`python -m bot release` as an operator would, twice: the first release, and a second one after
more responses were added (so the audit also covers the pair of releases). Reports wall time
and peak memory of each release process, and the cells shown, withheld as small and withheld
as secondary. Run the sizes in one go on one machine: compare them with each other.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ENVIRONMENT = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LOG_LEVEL": "WARNING",
    "RELEASE_MIN_NEW": "10",
}


def run_bot(*arguments: str) -> tuple[float, float, str]:
    """Runs `python -m bot ...` and returns its wall time, peak memory (MB) and message."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        check=True,
        capture_output=True,
        env=ENVIRONMENT,
        text=True,
    )
    seconds = time.perf_counter() - started
    # ru_maxrss of children is the largest of any child so far, so a child smaller than an
    # earlier one reads as that earlier peak: sizes run smallest first.
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak, finished.stderr.strip()


def hidden(release_file: Path) -> Counter[str]:
    statuses: Counter[str] = Counter()
    for table in json.loads(release_file.read_text(encoding="utf-8"))["tables"]:
        for cell in table["cells"]:
            statuses[cell.get("suppressed", "shown")] += 1
    return statuses


def measure(size: int, folder: Path) -> list[str]:
    database = folder / f"feedback-{size}.sqlite3"
    out = folder / f"release-{size}"
    lines = []
    run_bot("demo-data", "--responses", str(size), "--database", str(database))
    for label in ("first", "second"):
        if label == "second":
            # Synthetic residents do not all finish: add enough that RELEASE_MIN_NEW complete.
            more = max(30, size // 10)
            run_bot("demo-data", "--responses", str(more), "--database", str(database))
        seconds, peak, message = run_bot("release", "--out", str(out), "--database", str(database))
        if "made a new release" not in message:
            raise SystemExit(f"no new release at size {size}: {message}")
        counts = hidden(out / "release.json")
        total = sum(counts.values())
        lines.append(
            f"{size:>6} {label:<6} {seconds:8.1f} s {peak:7.0f} MB   "
            f"cells {total:>5}: shown {counts['shown']:>5}, small {counts['small']:>4}, "
            f"secondary {counts['secondary']:>4} ({counts['secondary'] / total:.0%})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 250, 2000])
    arguments = parser.parse_args()
    print("  size release   wall time  peak RSS   cells")
    with tempfile.TemporaryDirectory() as folder:
        for size in sorted(arguments.sizes):
            for line in measure(size, Path(folder)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
