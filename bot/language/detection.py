"""Guessing the language of a resident's own text.

``detect(text, hint=...)`` returns an ISO 639 code (see ``SUPPORTED_CODES``) or None when the
text has no letters or is in a script we cannot place. It is deterministic: no randomness, the
same text always gives the same answer, and the model is read-only once loaded, so any number
of threads may call it.

How it decides, in order:

1. **Script.** Every letter is assigned its Unicode script and the text takes the script most
   of its letters are written in. Scripts that one language here uses settle the matter on
   their own: Greek is ``el``, Syriac is ``syr`` (Assyrian Neo-Aramaic), Hebrew ``he``, and so
   on. Four scripts are shared and go on to step 2: Latin, Cyrillic, Arabic and Ethiopic.
2. **A naive Bayes over character 1-3-grams, restricted to that script's languages.** Only the
   languages that write that script compete: Latin ``sv en so tr fi pl es hbs kmr``, Cyrillic
   ``ru hbs uk``, Arabic ``ar fa ckb``, Ethiopic ``am ti``. A few more languages people in
   Sweden write (German, French, Norwegian, Bulgarian, Urdu, ...) also compete, but only on
   texts of four words or more and with a prior penalty, so that a short Swedish reply is not
   taken for Norwegian; only a clearly longer text can be named as one of them.
3. **Alphabets.** Each language of the Latin, Cyrillic and Arabic groups has its alphabet
   (``data/alphabets.toml``), and every letter of the text outside it (ı or ğ for Kurmanji, ê
   for Turkish, ة for Persian, ە or ڵ for Arabic, ј or ћ for Russian) costs that language a
   fixed penalty; Amharic is charged for the letters only Tigrinya uses (the ቐ and ዀ series).
4. **Frequent words.** A list of very common words per language (``data/words.toml``) adds a
   bonus for each word of the text found in it.
5. **Whole replies.** A text of at most three words made only of one language's everyday
   replies (``data/words.toml``: yes, no, thanks, hello; "nej tack", "kiitos", "спасибо") is
   taken to be in that language, so the commonest short messages come out right without a
   hint. A reply two languages share ("no", "да") leaves the choice to steps 2-4 among them.
6. **The hint** (the resident's chosen language) decides texts of at most three words written
   in letters that language uses: "Hej" with hint ``sv`` is Swedish whatever the statistics
   say. A hint of another script, or one whose alphabet lacks a letter of the text ("Спасибо,
   было хорошо" with hint ``uk``: ы), is ignored, and so is any hint on texts of four words or
   more.

The data. Everything the model knows is in ``data/``, read with the standard library only when
the model is first needed: the alphabets, word lists and replies written by hand from knowledge
of the languages (TOML), and the n-gram tables (``ngrams.bin.gz``, about 250 KB), which are
built offline by ``python -m bot.language.build_profiles`` from langdetect's language profiles
(character n-gram counts from Wikipedia) and, for the languages langdetect lacks (Kurmanji,
Sorani, Amharic, Tigrinya), from the CLDR locale data shipped with Babel together with the word
lists and the everyday sentences in ``data/sentences.toml``. That module's docstring tells how
to re-run it. No text from the development set (``tests/data/langid_dev.tsv``) went into any of
this, and no threshold was fitted to it line by line; it is only measured against
(``python -m bench.langid``).

Why no langdetect at run time. Its detector is randomised (it needs a fixed seed to repeat
itself), weak on short texts, costs about 24 MB for its profiles and has no model for five of
the languages Botkyrka residents write (Kurmanji, Sorani, Tigrinya, Amharic, Syriac). Its
profiles are good statistics, so the build reads them once and ships what it needs, one byte
per language and n-gram; the running bot needs neither langdetect nor any other package's
files. Loaded, the model costs about 11 MB and detection runs at well over 10,000 short
messages a second on one core. py3langid, the other candidate, would add numpy and a model of
about 90 MB resident, and has no Tigrinya or Syriac either.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["SUPPORTED_CODES", "detect"]

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLES_PATH = DATA_DIR / "ngrams.bin.gz"
# First line of the n-gram tables file; bumped when its layout changes.
TABLES_MAGIC = b"bot.language ngrams 1"

# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------

# Internal label for Serbian (and Bosnian, Montenegrin) in Cyrillic; reported as "hbs".
_HBS_CYRILLIC = "hbs-Cyrl"

_CORE = {
    "Latin": ("sv", "en", "so", "tr", "fi", "pl", "es", "hbs", "kmr"),
    "Cyrillic": ("ru", _HBS_CYRILLIC, "uk"),
    "Arabic": ("ar", "fa", "ckb"),
    "Ethiopic": ("am", "ti"),
}
# Languages people in Sweden write that the bot has no catalogue for and that no survey
# question expects; named only on texts of at least _EXTRA_MIN_WORDS words.
_EXTRA = {
    "Latin": ("de", "fr", "it", "pt", "nl", "no", "da", "et", "sq", "ro", "hu", "cs", "sk", "lt", "lv"),
    "Cyrillic": ("bg", "mk"),
    "Arabic": ("ur",),
    "Ethiopic": (),
}

# Scripts that point to one language on their own.
_SCRIPT_LANGUAGE = {
    "Greek": "el",
    "Syriac": "syr",
    "Hebrew": "he",
    "Armenian": "hy",
    "Georgian": "ka",
    "Thai": "th",
    "Lao": "lo",
    "Khmer": "km",
    "Myanmar": "my",
    "Hangul": "ko",
    "Hiragana": "ja",
    "Katakana": "ja",
    "CJK": "zh",
    "Devanagari": "hi",
    "Bengali": "bn",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Tibetan": "bo",
    "Thaana": "dv",
}

SUPPORTED_CODES: frozenset[str] = frozenset(
    {"hbs" if code == _HBS_CYRILLIC else code for codes in _CORE.values() for code in codes}
    | {code for codes in _EXTRA.values() for code in codes}
    | set(_SCRIPT_LANGUAGE.values())
)
"""Every code ``detect`` can return. Bosnian, Croatian and Serbian are one code, ``hbs``."""

# Scoring constants (natural-log units).
_EXTRA_MIN_WORDS = 4  # extra languages compete only on texts this long
_EXTRA_PRIOR = 5.0  # and start this far behind (prior odds of about 1:150)
_ALPHABET_PENALTY = 8.0  # per letter outside a language's alphabet
_WORD_BONUS = 3.0  # per word found in a language's list of frequent words
_SHORT_WORDS = 3  # whole replies and the hint count on texts this short
_MAX_WORDS = 200  # a story longer than this is judged by its first words

_LATIN_TO_CYRILLIC = dict(zip("abcčćdđefghijklmnoprsštuvzž", "абцчћдђефгхијклмнопрсштувзж", strict=True))
_CYRILLIC_DIGRAPHS = (("lj", "љ"), ("nj", "њ"), ("dž", "џ"))

# Equivalent codes a caller may pass as the hint.
_HINT_ALIASES = {"bs": "hbs", "hr": "hbs", "sr": "hbs", "sh": "hbs", "cnr": "hbs", "prs": "fa",
                 "ku": "kmr", "syc": "syr", "aii": "syr", "nb": "no", "nn": "no"}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Text handling (shared with the build of the n-gram tables)
# ---------------------------------------------------------------------------------------------

_SCRIPT_NAMES = {
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "ARABIC": "Arabic",
    "ETHIOPIC": "Ethiopic",
    "GREEK": "Greek",
    "SYRIAC": "Syriac",
    "HEBREW": "Hebrew",
    "ARMENIAN": "Armenian",
    "GEORGIAN": "Georgian",
    "THAI": "Thai",
    "LAO": "Lao",
    "KHMER": "Khmer",
    "MYANMAR": "Myanmar",
    "HANGUL": "Hangul",
    "HIRAGANA": "Hiragana",
    "KATAKANA": "Katakana",
    "CJK": "CJK",
    "DEVANAGARI": "Devanagari",
    "BENGALI": "Bengali",
    "GURMUKHI": "Gurmukhi",
    "GUJARATI": "Gujarati",
    "TAMIL": "Tamil",
    "TELUGU": "Telugu",
    "KANNADA": "Kannada",
    "MALAYALAM": "Malayalam",
    "SINHALA": "Sinhala",
    "TIBETAN": "Tibetan",
    "THAANA": "Thaana",
}
_script_cache: dict[str, str] = {}


def _script(char: str) -> str:
    """The script of a letter ("" for anything else), by the first word of its Unicode name."""
    script = _script_cache.get(char)
    if script is None:
        script = ""
        if char.isalpha():
            first = unicodedata.name(char, "").split(" ", 1)[0]
            script = _SCRIPT_NAMES.get(first, first.title())
        if len(_script_cache) < 20_000:  # bounded: letters of every script would be ~150,000
            _script_cache[char] = script
    return script


_NON_LETTERS = re.compile(r"[^\w]+|[\d_]+")


def _words(text: str) -> list[str]:
    """Lower-case words of letters only; combining marks (vowel signs, harakat) are dropped."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.combining(char) for char in text):
        text = "".join(char for char in text if not unicodedata.combining(char))
    words = _NON_LETTERS.sub(" ", text).split()
    if len(words) > 1:
        # Acronyms (GIF, USB, ID) say nothing about the language around them.
        kept = [word for word in words if not (len(word) > 1 and word.isupper())]
        words = kept or words
    return [word.replace("İ", "i").lower() for word in words]


def _grams(word: str) -> list[str]:
    """Character 1-, 2- and 3-grams of a word, with a space marking its start and end."""
    padded = f" {word} "
    size = len(padded)
    out = list(word)
    out += [padded[i : i + 2] for i in range(size - 1)]
    out += [padded[i : i + 3] for i in range(size - 2)]
    return out


def _to_cyrillic(latin: str) -> str | None:
    """Serbian Latin text letter by letter in Cyrillic, or None if it has a letter outside both."""
    for digraph, letter in _CYRILLIC_DIGRAPHS:
        latin = latin.replace(digraph, letter)
    out = []
    for char in latin:
        if char == " " or char in "љњџ":
            out.append(char)
        elif char in _LATIN_TO_CYRILLIC:
            out.append(_LATIN_TO_CYRILLIC[char])
        else:
            return None
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Reading the data
# ---------------------------------------------------------------------------------------------


def read_toml(name: str) -> dict[str, Any]:
    """One of the hand-written data files, ``data/<name>.toml``: tables of strings per language
    (``words``, ``alphabets``) or, for ``sentences``, strings per language at the top."""
    with (DATA_DIR / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def _word_list(table: dict[str, str], code: str) -> frozenset[str]:
    if code == _HBS_CYRILLIC:
        return frozenset(filter(None, map(_to_cyrillic, table.get("hbs", "").split())))
    return frozenset(table.get(code, "").split())


class Tables:
    """The n-gram tables of one script's languages, as stored in ``ngrams.bin.gz``.

    ``rows`` maps each n-gram to one ``bytes`` row with a byte per language (in the order of
    ``codes``): minus its log-probability in steps of ``step`` nats, or the language's floor
    where its profile lacks the n-gram.
    """

    def __init__(self, script: str, codes: tuple[str, ...], n_core: int, step: float) -> None:
        self.script = script
        self.codes = codes
        self.n_core = n_core
        self.step = step
        self.rows: dict[str, bytes] = {}


def read_tables(data: bytes) -> dict[str, Tables]:
    """Parse the (decompressed) tables file.

    Layout: the magic line; one line of JSON (``step``, ``sources``, and per group its
    ``script``, ``codes``, ``core`` count, number of ``grams`` and ``gram_bytes``); then per
    group, the n-grams in UTF-8 joined by newlines (``gram_bytes`` long), followed by their rows,
    ``len(codes)`` bytes each, in the same order.
    """
    magic, header_line, body = data.split(b"\n", 2)
    if magic != TABLES_MAGIC:
        raise ValueError(f"not a language tables file (first line {magic[:40]!r})")
    header = json.loads(header_line)
    out: dict[str, Tables] = {}
    offset = 0
    for group in header["groups"]:
        tables = Tables(group["script"], tuple(group["codes"]), group["core"], header["step"])
        width = len(tables.codes)
        grams = body[offset : offset + group["gram_bytes"]].decode().split("\n")
        offset += group["gram_bytes"]
        if len(grams) != group["grams"]:
            raise ValueError(f"{tables.script}: {len(grams)} n-grams, header says {group['grams']}")
        tables.rows = {
            gram: body[offset + i * width : offset + (i + 1) * width] for i, gram in enumerate(grams)
        }
        offset += len(grams) * width
        out[tables.script] = tables
    if offset != len(body):
        raise ValueError(f"language tables file has {len(body) - offset} bytes too many")
    return out


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class _Group:
    """The languages that write one script, with what is needed to score a text among them.

    Summing the table rows of a text's n-grams column by column is done by ``zip`` and ``sum``
    in C, and the whole table costs a few MB.
    """

    def __init__(
        self, tables: Tables, letters: dict[str, dict[str, str]], words: dict[str, dict[str, str]]
    ) -> None:
        codes = tables.codes
        expected = _CORE[tables.script] + _EXTRA[tables.script]
        if codes != expected:
            raise RuntimeError(
                f"{TABLES_PATH.name} has {codes} for {tables.script} where this code expects {expected}: "
                "re-run python -m bot.language.build_profiles"
            )
        self.codes = codes
        self.n_core = tables.n_core
        self.step = tables.step
        self.rows = tables.rows
        self.priors = [0.0] * self.n_core + [-_EXTRA_PRIOR] * (len(codes) - self.n_core)
        self.index = {"hbs" if code == _HBS_CYRILLIC else code: index for index, code in enumerate(codes)}
        # For each letter, the languages (by index) whose alphabet lacks it; built as letters
        # are met.
        alphabet, lacks = letters["alphabet"], letters["lacks"]
        self.allowed = [frozenset(alphabet[code]) if code in alphabet else None for code in codes]
        self.denied = [frozenset(lacks.get(code, "")) for code in codes]
        self.strangers: dict[str, tuple[int, ...]] = {}
        self.known = self._by_word(codes, words["frequent"])
        self.replies = self._by_word(codes[: self.n_core], words["replies"])
        everyone = frozenset(range(self.n_core))
        self.replies.update(dict.fromkeys(words["replies"].get("*", "").split(), everyone))

    @staticmethod
    def _by_word(codes: tuple[str, ...], table: dict[str, str]) -> dict[str, frozenset[int]]:
        """Word -> the languages (by index) whose list in ``table`` has it."""
        found: dict[str, set[int]] = {}
        for index, code in enumerate(codes):
            for word in _word_list(table, code):
                found.setdefault(word, set()).add(index)
        return {word: frozenset(indexes) for word, indexes in found.items()}

    def replying(self, words: list[str]) -> frozenset[int]:
        """The core languages (by index) in whose list of replies every word is; empty unless
        the text is short."""
        if not 0 < len(words) <= _SHORT_WORDS:
            return frozenset()
        speakers = self.replies.get(words[0], frozenset())
        for word in words[1:]:
            speakers &= self.replies.get(word, frozenset())
        return speakers

    def _strangers(self, letter: str) -> tuple[int, ...]:
        """The languages whose alphabet does not have ``letter``."""
        found = self.strangers.get(letter)
        if found is None:
            found = tuple(
                index
                for index, (allowed, denied) in enumerate(zip(self.allowed, self.denied, strict=True))
                if (allowed is not None and letter not in allowed) or letter in denied
            )
            if len(self.strangers) < 5_000:
                self.strangers[letter] = found
        return found

    def writes(self, index: int, words: list[str]) -> bool:
        """Whether language ``index`` has every letter of ``words`` in its alphabet."""
        return not any(index in self._strangers(letter) for letter in set("".join(words)))

    def scores(self, words: list[str], extras: bool) -> list[float]:
        """A log-score per language (core languages only unless ``extras``), higher is likelier."""
        table = self.rows
        rows = [row for word in words for gram in _grams(word) if (row := table.get(gram)) is not None]
        if rows:
            columns = map(sum, zip(*rows, strict=True))
            scores = [prior - self.step * total for prior, total in zip(self.priors, columns, strict=True)]
        else:
            scores = list(self.priors)
        for letter, count in Counter("".join(words)).items():
            for index in self._strangers(letter):
                scores[index] -= _ALPHABET_PENALTY * count
        for word in words:
            for index in self.known.get(word, ()):
                scores[index] += _WORD_BONUS
        return scores if extras else scores[: self.n_core]


class _Model:
    def __init__(self, path: Path = TABLES_PATH) -> None:
        tables = read_tables(gzip.decompress(path.read_bytes()))
        letters, words = read_toml("alphabets"), read_toml("words")
        if set(tables) != set(_CORE):
            raise RuntimeError(f"{path.name} covers {sorted(tables)} where this code expects {sorted(_CORE)}")
        self.groups = {script: _Group(tables[script], letters, words) for script in _CORE}


_model_lock = threading.Lock()
_model: _Model | None = None


def _get_model() -> _Model:
    """Loaded on first use, so a bot that never receives a story never pays for it."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _Model()
    return _model


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


def _normal_code(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("_", "-").split("-", 1)[0].lower()
    return _HINT_ALIASES.get(code, code)


def _public(code: str) -> str:
    return "hbs" if code == _HBS_CYRILLIC else code


def _main_script(text: str) -> str | None:
    """The script most letters of ``text`` are written in, None if it has no letters."""
    scripts = Counter(script for script in map(_script, text) if script)
    if not scripts:
        return None
    script = max(scripts.items(), key=lambda item: (item[1], item[0]))[0]
    if script == "CJK" and ("Hiragana" in scripts or "Katakana" in scripts):
        script = "Hiragana"  # Japanese mixes kanji with kana; Chinese has no kana
    return script


def detect(text: str, *, hint: str | None = None) -> str | None:
    """An ISO 639 code for the language of ``text``, or None when it cannot tell.

    ``hint`` (the resident's chosen language) decides texts of up to three words that it could
    have written (same script, no letter outside its alphabet), and is otherwise ignored.
    Bosnian, Croatian and Serbian are reported as ``hbs``.
    """
    script = _main_script(text)
    if script is None:
        return None
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    group = _get_model().groups.get(script)
    if group is None:
        return None
    words = [word for word in _words(text) if _script(word[0]) == script][:_MAX_WORDS]
    wanted = _normal_code(hint)
    if wanted is not None and len(words) <= _SHORT_WORDS:
        index = group.index.get(wanted)
        if index is not None and group.writes(index, words):
            return wanted
    scores = group.scores(words, extras=len(words) >= _EXTRA_MIN_WORDS)
    repliers = group.replying(words)
    candidates = [
        (score, code)
        for index, (score, code) in enumerate(zip(scores, group.codes, strict=False))
        if not repliers or index in repliers
    ]
    # The best score; on a tie, the first code in alphabetical order.
    _, best = min(candidates, key=lambda item: (-item[0], item[1]))
    return _public(best)
