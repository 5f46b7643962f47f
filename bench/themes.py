"""Precision and recall of the theme tagger on the labelled stories in ``tests/data``.

    python -m bench.themes [--show-errors] [--write]

``--write`` stores the overall figures in ``locales/themes/measured.json``, which the report
quotes in its method section; a test checks that file against a fresh measurement.

The labelled stories were written from the theme definitions alone, without reading the
keyword lists, so the figures say how the lists do on wording they were not tuned to.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

from bot.report.themes import TAGGING_QUALITY_FILE, THEMES, ThemeTagger

ROOT = Path(__file__).resolve().parent.parent
LABELLED = sorted((ROOT / "tests" / "data").glob("theme_stories_*.tsv"))


@dataclass(frozen=True)
class Story:
    id: str
    language: str
    themes: frozenset[str]
    text: str


def load_labelled(paths: list[Path] = LABELLED) -> list[Story]:
    stories = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                themes = frozenset() if row["themes"] == "-" else frozenset(row["themes"].split(","))
                stories.append(Story(row["id"], row["language"], themes, row["text"]))
    return stories


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


def score(tagger: ThemeTagger, stories: list[Story]) -> tuple[dict[str, Score], dict[str, Score], list]:
    """Scores per theme and per language (micro-averaged over themes), and the errors."""
    by_theme = {theme: Score() for theme in THEMES}
    by_language: dict[str, Score] = {}
    errors = []
    for story in stories:
        found = set(tagger.tag(story.text, story.language))
        language = by_language.setdefault(story.language, Score())
        for theme in THEMES:
            wanted = theme in story.themes
            got = theme in found
            for bucket in (by_theme[theme], language):
                bucket.true_positive += wanted and got
                bucket.false_positive += got and not wanted
                bucket.false_negative += wanted and not got
        if found != story.themes:
            errors.append((story, sorted(found)))
    return by_theme, by_language, errors


def overall(by_theme: dict[str, Score]) -> Score:
    total = Score()
    for result in by_theme.values():
        total.true_positive += result.true_positive
        total.false_positive += result.false_positive
        total.false_negative += result.false_negative
    return total


def quality(tagger: ThemeTagger, stories: list[Story]) -> dict[str, object]:
    """What ``--write`` stores: rounded so that the file changes only when the figures do."""
    by_theme, by_language, _ = score(tagger, stories)
    total = overall(by_theme)
    return {
        "stories": len(stories),
        "languages": len(by_language),
        "precision": round(total.precision, 2),
        "recall": round(total.recall, 2),
        "keyword_lists": tagger.version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--write", action="store_true", help=f"update locales/themes/{TAGGING_QUALITY_FILE}")
    arguments = parser.parse_args()
    tagger = ThemeTagger.load(ROOT / "locales" / "themes")
    stories = load_labelled()
    started = time.perf_counter()
    by_theme, by_language, errors = score(tagger, stories)
    elapsed = time.perf_counter() - started
    total = overall(by_theme)
    print(f"{len(stories)} labelled stories in {len(by_language)} languages")
    print(f"{'theme':<20} precision  recall")
    for theme, result in by_theme.items():
        print(f"{theme:<20} {result.precision:9.3f} {result.recall:7.3f}")
    print(f"{'all (micro)':<20} {total.precision:9.3f} {total.recall:7.3f}")
    print(
        "per language: "
        + ", ".join(f"{code} {r.precision:.2f}/{r.recall:.2f}" for code, r in sorted(by_language.items()))
    )
    print(f"tagging speed: {len(stories) / elapsed:,.0f} stories/s")
    if arguments.write:
        path = ROOT / "locales" / "themes" / TAGGING_QUALITY_FILE
        path.write_text(json.dumps(quality(tagger, stories), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if arguments.show_errors:
        for story, found in errors:
            print(f"{story.id} {story.language} want={sorted(story.themes)} got={found} :: {story.text}")


if __name__ == "__main__":
    main()
