"""A reviewer's sheet for one catalogue, and reading the reviewed sheet back.

``python -m bot translations --review LANG --out F.csv`` writes every message of the language:
its key, what it is for, the Swedish source, the current translation and whether a native
speaker has approved it, with empty columns for the reviewer. ``--apply F.csv`` takes the rows
marked approved, puts the reviewer's wording (or keeps the current one if that column is empty)
into ``locales/LANG.po`` and clears their "unreviewed" (fuzzy) flag. Rows not marked approved
change nothing, so a sheet can be returned half done.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.admin.export import FORMULA_STARTS, spreadsheet_safe
from bot.i18n.catalogue import SOURCE_LANGUAGE

COLUMNS = [
    "language",
    "key",
    "about",
    "swedish",
    "translation",
    "status",
    "reviewed_translation",
    "approved",
    "reviewer_note",
]
# Plural forms share one cell, in the catalogue's order of forms.
FORM_SEPARATOR = " || "
APPROVED = {"yes", "ja", "x", "1", "ok", "approved", "godkänd"}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Telegram shows about this many characters of an inline button on a phone before cutting it.
MAX_BUTTON_CHARS = 48
BUTTON_KEYS = re.compile(
    r"^(q\.[a-z0-9_]+\.[a-z0-9_]+|button\..*|consent\.(agree|decline|under_age)|delete\.(yes|no)"
    r"|notice\.(yes|no)|language\.name)$"
)
PO_WIDTH = 100


class ReviewError(Exception):
    """The sheet cannot be applied; the message says which row and why."""


@dataclass(frozen=True)
class Applied:
    language: str
    approved: int  # fuzzy flag cleared
    reworded: int  # of those, with the reviewer's own wording
    left: int  # rows not marked approved


def _load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def _forms(value: object) -> list[str]:
    if isinstance(value, (tuple, list)):
        return [str(form or "") for form in value]
    return [str(value or "")]


def _unsafe_undone(text: str) -> str:
    """The sheet starts a formula-like cell with an apostrophe; take it off again."""
    if text.startswith("'") and text[1:].lstrip(" ").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def review_sheet(locales: Path, language: str) -> str:
    """The sheet for ``language`` as CSV text (UTF-8 with a byte-order mark, for Excel)."""
    if language == SOURCE_LANGUAGE:
        raise ReviewError("Swedish is the source: there is nothing to review against")
    path = locales / f"{language}.po"
    if not path.exists():
        raise ReviewError(f"no catalogue for {language!r}")
    catalogue = _load(path)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for message in catalogue:
        if not message.context:
            continue
        source = FORM_SEPARATOR.join(_forms(message.id))
        writer.writerow(
            {
                "language": language,
                "key": message.context,
                "about": " ".join(message.auto_comments),
                "swedish": spreadsheet_safe(source),
                "translation": spreadsheet_safe(FORM_SEPARATOR.join(_forms(message.string))),
                "status": "unreviewed" if message.fuzzy else "reviewed",
                "reviewed_translation": "",
                "approved": "",
                "reviewer_note": "",
            }
        )
    return out.getvalue()


def _checked(message: Message, key: str, wording: list[str], row: int) -> list[str]:
    source = _forms(message.id)[-1]
    expected = set(PLACEHOLDER.findall(source))
    current = _forms(message.string)
    if len(wording) != len(current):
        raise ReviewError(f"row {row} ({key}): {len(current)} plural forms expected, separated by '||'")
    for form in wording:
        if not form.strip():
            raise ReviewError(f"row {row} ({key}): a form is empty")
        if set(PLACEHOLDER.findall(form)) != expected:
            wanted = ", ".join(f"{{{name}}}" for name in sorted(expected)) or "none"
            raise ReviewError(f"row {row} ({key}): placeholders must be exactly {wanted}")
        if BUTTON_KEYS.match(key) and len(form) > MAX_BUTTON_CHARS:
            raise ReviewError(f"row {row} ({key}): a button label has at most {MAX_BUTTON_CHARS} characters")
    return wording


def apply_review(locales: Path, sheet: Path) -> Applied:
    """Apply the approved rows of ``sheet`` to its language's catalogue. Every row is checked
    before anything is written: a sheet with one bad row changes nothing."""
    try:
        text = sheet.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewError(f"{sheet} is not UTF-8: save it as 'CSV UTF-8'") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(COLUMNS) - set(rows[0]):
        raise ReviewError(f"{sheet} is not a reviewer's sheet (columns: {', '.join(COLUMNS)})")
    languages = {row["language"] for row in rows}
    if len(languages) != 1:
        raise ReviewError("a sheet holds one language")
    (language,) = languages
    path = locales / f"{language}.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        raise ReviewError(f"no catalogue to review for {language!r}")
    catalogue = _load(path)
    by_key = {message.context: message for message in catalogue if message.context}
    approved = reworded = left = 0
    changes: list[tuple[Message, list[str] | None]] = []
    for number, row in enumerate(rows, start=2):  # the header is row 1
        key = row["key"]
        if (row["approved"] or "").strip().lower() not in APPROVED:
            left += 1
            continue
        message = by_key.get(key)
        if message is None:
            raise ReviewError(f"row {number}: no message {key!r} in {path.name}")
        # An approval is of the words the reviewer saw: if the catalogue changed since the
        # sheet was made, the row must be reviewed again.
        current = FORM_SEPARATOR.join(_forms(message.string))
        if _unsafe_undone(row["translation"] or "") != current:
            raise ReviewError(f"row {number} ({key}): the translation changed since the sheet was made")
        wording = _unsafe_undone((row["reviewed_translation"] or "").strip())
        kept = wording.split(FORM_SEPARATOR.strip()) if wording else _forms(message.string)
        checked = [form.strip() for form in _checked(message, key, kept, number)]
        changes.append((message, checked if wording else None))
    for message, reviewed in changes:
        if reviewed is not None:
            message.string = tuple(reviewed) if isinstance(message.string, (tuple, list)) else reviewed[0]
            reworded += 1
        message.flags.discard("fuzzy")
        approved += 1
    out = io.BytesIO()
    write_po(out, catalogue, width=PO_WIDTH)
    path.write_bytes(out.getvalue())
    return Applied(language, approved, reworded, left)
