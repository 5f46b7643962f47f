"""Admin speed and memory on a large database.

    python -m bench.admin --responses 100000 [--rounds 3]

Fills a fresh database with synthetic responses (in a child process, so that generating them
does not count towards this process's memory), then runs the real Application against the
built-in Bot API and measures, per round: /summary and /stats from command to reply, and the
report from command to document. Targets: /summary < 1 s, report < 10 s, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.preview.botapi import LocalBotApi
from tests.support import TOKEN, close_harness, make_settings, open_harness

ADMIN = 9000


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(database: Path, responses: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "demo-data",
            "--responses",
            str(responses),
            "--database",
            str(database),
        ],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING"},
    )
    return time.perf_counter() - started


async def measure(directory: Path, rounds: int) -> dict[str, list[float]]:
    settings = make_settings(directory, admin_ids=frozenset({ADMIN}), log_level="WARNING")
    api = LocalBotApi(token=TOKEN)
    harness = await open_harness(settings, api)
    admin = harness.resident(ADMIN, "sv")
    timings: dict[str, list[float]] = {"summary": [], "stats": [], "report": []}
    try:
        for _ in range(rounds):
            for name, args in (("summary", ""), ("stats", "if_moved by area"), ("report", "")):
                before = len(admin.messages())
                started = time.perf_counter()
                await api.send_command(ADMIN, name, args, language_code="sv")
                await harness.deliver()
                timings[name].append(time.perf_counter() - started)
                assert len(admin.messages()) > before, f"/{name} gave no reply"
            document = admin.last()["document"]
            assert document and document["file_size"] > 10_000, "the report was not sent"
    finally:
        await close_harness(harness)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        database = directory / "feedback.sqlite3"
        seconds = fill(database, arguments.responses)
        size = database.stat().st_size / 1e6
        print(f"filled {arguments.responses} synthetic responses in {seconds:.1f} s ({size:.0f} MB database)")
        print(f"RSS before the bot starts: {rss_mb():.0f} MB")
        timings = asyncio.run(measure(directory, arguments.rounds))
    for name, values in timings.items():
        listed = ", ".join(f"{value:.2f}" for value in values)
        print(f"/{name:<8} median {statistics.median(values):6.2f} s  (rounds: {listed})")
    print(f"memory: RSS now {rss_mb():.0f} MB, peak {peak_mb():.0f} MB (target < 300 MB)")
    print("targets: /summary < 1 s, report < 10 s")


if __name__ == "__main__":
    main()
