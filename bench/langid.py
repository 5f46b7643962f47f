"""Benchmark: language identification (bot.language.detect) against the development set.

    python -m bench.langid [--dev PATH]

Prints, per language of the development set, the share of texts named correctly in each length
bucket (``sent`` = 9-40 words, ``3-8``, ``1-3``) with counts; the macro average over the
languages per bucket, with the fair equivalences (fa = prs, bs = hr = sr = hbs, ku = kmr or
ckb); the throughput on short texts (one thread); and the resident memory the detector costs
(RSS before and after it is loaded).

The development set is ``tests/data/langid_dev.tsv`` (a copy of ``shared/langid/dev.tsv``;
see ``tests/data/langid_dev.README.md``), read only here and by ``tests/test_language.py``: it
measures the detector, it is not used to build it. Exits 2 if the file is missing.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
REPO_DEV = PROJECT / "tests" / "data" / "langid_dev.tsv"
SHARED_DEV = PROJECT.parent / "shared" / "langid" / "dev.tsv"
# The repository's copy; the shared original only where a checkout lacks it.
DEFAULT_DEV = REPO_DEV if REPO_DEV.is_file() or not SHARED_DEV.is_file() else SHARED_DEV
BUCKETS = ("sent", "3-8", "1-3")
TARGETS = {"sent": 0.98, "3-8": 0.96, "1-3": 0.85}

# One class per group of codes that scoring treats as the same language.
_CANONICAL = {"prs": "fa", "bs": "hbs", "hr": "hbs", "sr": "hbs", "sh": "hbs", "ku": "ku"}


@dataclass(frozen=True)
class Row:
    lang: str
    bucket: str
    source: str
    text: str


def load_dev(path: Path) -> list[Row]:
    """The rows of dev.tsv (lang, bucket, source, text), header skipped."""
    rows = []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header[:4] != ["lang", "bucket", "source", "text"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for fields in reader:
            if len(fields) >= 4:
                rows.append(Row(fields[0], fields[1], fields[2], "\t".join(fields[3:])))
    return rows


def is_correct(gold: str, predicted: str | None) -> bool:
    """Whether ``predicted`` names ``gold``, with the equivalences fa = prs, bs = hr = sr = hbs
    and ku = kmr or ckb."""
    if predicted is None:
        return False
    if predicted == "ku":
        return gold in ("kmr", "ckb", "ku")
    return _CANONICAL.get(gold, gold) == _CANONICAL.get(predicted, predicted)


@dataclass
class Score:
    correct: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.correct / self.total if self.total else 0.0


def evaluate(
    rows: Iterable[Row], detect: Callable[[str], str | None]
) -> tuple[dict[str, dict[str, Score]], dict[str, float]]:
    """Per-language, per-bucket scores and the macro average per bucket over the languages."""
    scores: dict[str, dict[str, Score]] = {}
    for row in rows:
        score = scores.setdefault(row.lang, {bucket: Score() for bucket in BUCKETS})[row.bucket]
        score.total += 1
        score.correct += is_correct(row.lang, detect(row.text))
    macro = {}
    for bucket in BUCKETS:
        shares = [by_bucket[bucket].share for by_bucket in scores.values() if by_bucket[bucket].total]
        macro[bucket] = sum(shares) / len(shares) if shares else 0.0
    return scores, macro


def _memory_mb() -> tuple[float, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB; zeros where /proc is absent."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


def _throughput(texts: list[str], detect: Callable[[str], str | None], seconds: float = 2.0) -> float:
    """Messages per second, one thread, repeating ``texts`` for at least ``seconds``."""
    done = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for text in texts:
            detect(text)
        done += len(texts)
        elapsed = time.perf_counter() - start
    return done / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help=f"default: {DEFAULT_DEV}")
    options = parser.parse_args(argv)
    if not options.dev.is_file():
        print(f"Development set not found: {options.dev} (pass --dev PATH)", file=sys.stderr)
        return 2
    rows = load_dev(options.dev)

    rss_before, _ = _memory_mb()
    started = time.perf_counter()
    from bot.language import detection as language

    language.detect("Hej")  # loads the model
    load_seconds = time.perf_counter() - started
    rss_after, peak = _memory_mb()

    scores, macro = evaluate(rows, language.detect)

    print(f"Language identification on {options.dev} ({len(rows)} texts)\n")
    header = f"{'lang':<6}" + "".join(f"{bucket:>20}" for bucket in BUCKETS)
    print(header)
    print("-" * len(header))
    for lang in sorted(scores):
        cells = []
        for bucket in BUCKETS:
            score = scores[lang][bucket]
            cell = f"{100 * score.share:5.1f}% {score.correct:>4}/{score.total:<4}" if score.total else "-"
            cells.append(f"{cell:>20}")
        print(f"{lang:<6}" + "".join(cells))
    print("-" * len(header))
    print(f"{'macro':<6}" + "".join(f"{100 * macro[bucket]:>19.1f}%" for bucket in BUCKETS))
    print(f"{'target':<6}" + "".join(f"{100 * TARGETS[bucket]:>19.1f}%" for bucket in BUCKETS))
    print(f"\n{len(scores)} languages, macro average per bucket; fa = prs, bs = hr = sr (hbs), ku = kmr|ckb")

    short = [row.text for row in rows if row.bucket in ("1-3", "3-8")]
    rate = _throughput(short, language.detect)
    print(f"Throughput: {rate:,.0f} messages/s on {len(short)} short texts (1-8 words), one thread")
    print(
        f"Memory: RSS {rss_before:.1f} MB before loading, {rss_after:.1f} MB after "
        f"(+{rss_after - rss_before:.1f} MB; peak {peak:.1f} MB); model loaded in {load_seconds:.2f} s"
    )
    met = all(macro[bucket] >= TARGETS[bucket] for bucket in BUCKETS)
    print("Targets met." if met else "Targets NOT met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
