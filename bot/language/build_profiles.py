"""Builds ``bot/language/data/ngrams.bin.gz``, the n-gram tables language detection reads.

Run offline, and only when a source below changes; the bot itself never runs this module and
needs none of the packages it reads::

    pip install langdetect==1.0.9 babel==2.19.0   # the versions recorded in the file's header
    python -m bot.language.build_profiles          # rewrites the file
    python -m bot.language.build_profiles --check  # exits 1 if the file differs from a fresh build

Sources, per language:

- langdetect's language profiles (``langdetect/profiles/<code>``: character 1-3-gram counts
  from Wikipedia) for every language it has, read as JSON files without importing langdetect.
  Serbian Cyrillic reuses the Croatian profile, transliterated letter by letter.
- For Kurmanji, Sorani, Amharic and Tigrinya, which langdetect lacks: every string of the CLDR
  locale data shipped with Babel (``babel/locale-data/<locale>.dat``, names of countries,
  languages, months, units and the like, read with an unpickler that keeps only strings), plus
  this project's ``data/sentences.toml`` and the frequent words of ``data/words.toml``, which
  count ``OWN_TEXT_WEIGHT`` times as they are running text like what residents write.

Each language's counts become minus log-probabilities per n-gram order, quantised to one byte
in steps of ``STEP`` nats; an n-gram a language lacks gets a floor of half its rarest n-gram of
that order. The output is deterministic: n-grams are sorted, the JSON header has fixed key
order, and gzip is written without a timestamp, so re-running with the same sources gives a
byte-identical file. The file's layout is described in ``detection.read_tables``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import math
import pickle
import sys
from collections import Counter
from pathlib import Path

from bot.language.detection import (
    _CORE,
    _EXTRA,
    _HBS_CYRILLIC,
    TABLES_MAGIC,
    TABLES_PATH,
    _grams,
    _to_cyrillic,
    _words,
    read_tables,
    read_toml,
)

STEP = 0.06  # n-gram log-probabilities are stored in steps of this many nats
OWN_TEXT_WEIGHT = 3

# Where each language's counts come from: a langdetect profile, or the CLDR locale data in Babel
# (plus the project's own sentences and word lists).
LANGDETECT_PROFILE = {
    "sv": "sv", "en": "en", "so": "so", "tr": "tr", "fi": "fi", "pl": "pl", "es": "es",
    "hbs": "hr", "ru": "ru", "uk": "uk", "bg": "bg", "mk": "mk", "ar": "ar", "fa": "fa",
    "ur": "ur", "de": "de", "fr": "fr", "it": "it", "pt": "pt", "nl": "nl", "no": "no",
    "da": "da", "et": "et", "sq": "sq", "ro": "ro", "hu": "hu", "cs": "cs", "sk": "sk",
    "lt": "lt", "lv": "lv",
}  # fmt: skip
CLDR_LOCALE = {"kmr": "ku", "ckb": "ckb", "am": "am", "ti": "ti"}
SOURCE_PACKAGES = ("langdetect", "babel")

# langdetect's profiles and CLDR's Sorani write Persian-family text with the Arabic yeh and kaf;
# the languages that use the Persian forms get them back.
_PERSIAN_FORMS = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})
_PERSIAN_FAMILY = frozenset({"fa", "ur", "ckb"})

_Counts = tuple[dict[str, float], list[float]]  # n-gram counts, and total count per order


def _package_dir(name: str) -> Path:
    """Where an installed package's files are, found without importing (running) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"building the language tables needs {name}: pip install {' '.join(SOURCE_PACKAGES)}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def source_versions() -> dict[str, str | None]:
    """The installed versions of the source packages (None where one is missing)."""
    versions: dict[str, str | None] = {}
    for name in SOURCE_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _langdetect_counts(profile: str) -> _Counts:
    data = json.loads((_package_dir("langdetect") / "profiles" / profile).read_text(encoding="utf-8"))
    counts: dict[str, float] = {}
    for gram, count in data["freq"].items():
        lower = gram.lower()
        gram = lower if len(lower) == len(gram) else gram
        counts[gram] = counts.get(gram, 0) + count
    return counts, [float(total) for total in data["n_words"]]


class _Skipped:
    """Stands in for Babel's pattern and rule objects in its locale files: only strings are read."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __setstate__(self, state: object) -> None:
        pass


class _LocaleUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        if module.startswith("babel"):
            return _Skipped
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in a CLDR locale file")


def _cldr_strings(locale: str) -> list[str]:
    """Every string in one of the CLDR locale files shipped with Babel, without Babel's merging
    of parent locales."""
    with (_package_dir("babel") / "locale-data" / f"{locale}.dat").open("rb") as file:
        data = _LocaleUnpickler(file).load()
    out: list[str] = []
    stack: list[object] = [value for key, value in data.items() if key != "locale_id"]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return out


def _text_counts(texts: list[tuple[str, int]]) -> _Counts:
    """N-gram counts of (text, weight) pairs."""
    counts: Counter[str] = Counter()
    totals = [0.0, 0.0, 0.0]
    for text, weight in texts:
        for word in _words(text):
            for gram in _grams(word):
                counts[gram] += weight
                totals[len(gram) - 1] += weight
    return dict(counts), totals


def _counts_for(code: str, sentences: dict[str, str], words: dict[str, str]) -> _Counts:
    if code == _HBS_CYRILLIC:
        latin, totals = _counts_for("hbs", sentences, words)
        counts: dict[str, float] = {}
        for gram, count in latin.items():
            cyrillic = _to_cyrillic(gram)
            if cyrillic and cyrillic.strip() and len(cyrillic) <= 3:
                counts[cyrillic] = counts.get(cyrillic, 0) + count
        return counts, totals
    if code in LANGDETECT_PROFILE:
        counts, totals = _langdetect_counts(LANGDETECT_PROFILE[code])
    else:
        texts = [(text, 1) for text in _cldr_strings(CLDR_LOCALE[code])]
        texts += [(sentences.get(code, ""), OWN_TEXT_WEIGHT), (words.get(code, ""), OWN_TEXT_WEIGHT)]
        counts, totals = _text_counts(texts)
    if code in _PERSIAN_FAMILY:
        persian: dict[str, float] = {}
        for gram, count in counts.items():
            gram = gram.translate(_PERSIAN_FORMS)
            persian[gram] = persian.get(gram, 0) + count
        counts = persian
    return counts, totals


def _quantize(probability: float) -> int:
    """Minus the log of ``probability`` in steps of STEP nats, as one byte."""
    return min(255, max(0, round(-math.log(probability) / STEP)))


def group_rows(codes: tuple[str, ...]) -> dict[str, bytes]:
    """N-gram -> one byte per language of ``codes`` (its floor where it lacks the n-gram)."""
    sentences, words = read_toml("sentences"), read_toml("words")["frequent"]
    steps: list[dict[str, int]] = []
    floors: list[list[int]] = []
    for code in codes:
        counts, totals = _counts_for(code, sentences, words)
        kept = {gram: count for gram, count in counts.items() if len(gram) <= 3 and count > 0 and gram != " "}
        lowest = [math.inf, math.inf, math.inf]
        for gram, count in kept.items():
            lowest[len(gram) - 1] = min(lowest[len(gram) - 1], count)
        steps.append({gram: _quantize(count / totals[len(gram) - 1]) for gram, count in kept.items()})
        # An n-gram the profile lacks is taken as half as frequent as its rarest one.
        floors.append(
            [
                _quantize(0.5 * (low if low < math.inf else 1.0) / max(total, 1.0))
                for low, total in zip(lowest, totals, strict=True)
            ]
        )
    floor_rows = [bytes(floor[order] for floor in floors) for order in range(3)]
    rows: dict[str, bytearray] = {}
    for index, table in enumerate(steps):
        for gram, step in table.items():
            row = rows.get(gram)
            if row is None:
                row = rows[gram] = bytearray(floor_rows[len(gram) - 1])
            row[index] = step
    return {gram: bytes(row) for gram, row in rows.items()}


def build() -> bytes:
    """The tables file's content, uncompressed."""
    header_groups = []
    body = bytearray()
    for script, core in _CORE.items():
        codes = core + _EXTRA[script]
        rows = group_rows(codes)
        grams = sorted(rows)
        if any("\n" in gram for gram in grams):
            raise ValueError("an n-gram holds a newline, which the file uses as separator")
        gram_bytes = "\n".join(grams).encode()
        header_groups.append(
            {
                "script": script,
                "codes": list(codes),
                "core": len(core),
                "grams": len(grams),
                "gram_bytes": len(gram_bytes),
            }
        )
        body += gram_bytes
        for gram in grams:
            body += rows[gram]
    header = {"step": STEP, "sources": source_versions(), "groups": header_groups}
    header_line = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return TABLES_MAGIC + b"\n" + header_line + b"\n" + bytes(body)


def compress(payload: bytes) -> bytes:
    """Gzip without a timestamp, so equal content gives equal files."""
    return gzip.compress(payload, compresslevel=9, mtime=0)


def shipped_sources(path: Path = TABLES_PATH) -> dict[str, str | None]:
    """The source package versions recorded in the shipped tables file."""
    header_line = gzip.decompress(path.read_bytes()).split(b"\n", 2)[1]
    return json.loads(header_line)["sources"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    parser.add_argument("--output", type=Path, default=TABLES_PATH, help=f"default: {TABLES_PATH}")
    options = parser.parse_args(argv)
    payload = build()
    read_tables(payload)  # what was written must read back
    if options.check:
        shipped = gzip.decompress(options.output.read_bytes())
        if shipped != payload:
            print(
                f"{options.output} differs from a fresh build (sources {source_versions()})", file=sys.stderr
            )
            return 1
        print(f"{options.output} matches a fresh build")
        return 0
    data = compress(payload)
    options.output.write_bytes(data)
    print(f"wrote {options.output}: {len(data):,} bytes ({len(payload):,} uncompressed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
