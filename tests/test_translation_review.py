"""The reviewer's sheet: written from a catalogue, filled in by a person, read back."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT
from tests.support import run_bot_command

LOCALES = PROJECT_ROOT / "locales"


def copy_of_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target)
    return target


def sheet_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")


def entry(locales: Path, language: str, key: str) -> tuple[object, bool]:
    with (locales / f"{language}.po").open("rb") as handle:
        message = next(m for m in read_po(handle) if m.context == key)
    return message.string, message.fuzzy


def test_a_reviewed_sheet_goes_back_into_the_catalogue(tmp_path: Path) -> None:
    locales = copy_of_locales(tmp_path)
    sheet = tmp_path / "so.csv"
    made = run_bot_command(
        tmp_path, "translations", "--review", "so", "--out", str(sheet), LOCALES_DIR=str(locales)
    )
    assert made.returncode == 0, made.stderr
    rows = sheet_rows(sheet)
    by_key = {row["key"]: row for row in rows}
    option = by_key["q.move_handle.citizens_office"]
    assert option["swedish"] == "Be kommunens medborgarkontor om hjälp"
    assert option["translation"] and option["status"] == "unreviewed" and option["about"]
    assert option["reviewed_translation"] == option["approved"] == ""
    # A reviewer approves one entry as it is, rewords another, and leaves the rest.
    by_key["q.visits.never"]["approved"] = "ja"
    option["reviewed_translation"] = "Weydii xafiiska muwaadiniinta degmada"
    option["approved"] = "yes"
    write_rows(sheet, list(by_key.values()))
    applied = run_bot_command(tmp_path, "translations", "--apply", str(sheet), LOCALES_DIR=str(locales))
    assert applied.returncode == 0, applied.stderr
    assert "so: 2 messages approved (1 with the reviewer's wording)" in applied.stderr
    assert entry(locales, "so", "q.move_handle.citizens_office") == (
        "Weydii xafiiska muwaadiniinta degmada",
        False,
    )
    never, fuzzy = entry(locales, "so", "q.visits.never")
    assert never == entry(LOCALES, "so", "q.visits.never")[0] and not fuzzy
    assert entry(locales, "so", "q.visits.once")[1], "rows not approved stay unreviewed"


def test_a_sheet_with_a_broken_row_changes_nothing(tmp_path: Path) -> None:
    locales = copy_of_locales(tmp_path)
    before = (locales / "ar.po").read_bytes()
    sheet = tmp_path / "ar.csv"
    assert (
        run_bot_command(
            tmp_path, "translations", "--review", "ar", "--out", str(sheet), LOCALES_DIR=str(locales)
        ).returncode
        == 0
    )
    rows = sheet_rows(sheet)
    by_key = {row["key"]: row for row in rows}
    by_key["q.visits.never"]["approved"] = "yes"
    # A placeholder lost, and a button too long for a phone: both refused, nothing written.
    for key, wording, reason in (
        ("consent.access", "نص بدون العنصر النائب", "placeholders must be exactly {min_group}"),
        ("q.visits.earlier", "ب" * 49, "at most 48 characters"),
    ):
        by_key[key]["reviewed_translation"] = wording
        by_key[key]["approved"] = "yes"
        write_rows(sheet, list(by_key.values()))
        refused = run_bot_command(tmp_path, "translations", "--apply", str(sheet), LOCALES_DIR=str(locales))
        assert refused.returncode == 2 and reason in refused.stderr, refused.stderr
        assert (locales / "ar.po").read_bytes() == before
        by_key[key]["approved"] = ""
    # An approval of words the catalogue no longer holds is refused.
    by_key["q.visits.never"]["translation"] = "كلمات قديمة"
    write_rows(sheet, list(by_key.values()))
    stale = run_bot_command(tmp_path, "translations", "--apply", str(sheet), LOCALES_DIR=str(locales))
    assert stale.returncode == 2 and "changed since the sheet was made" in stale.stderr
    # A sheet saved in a legacy encoding gets a clear answer, not a traceback.
    sheet.write_bytes("language,key\r\nar,caf\xe9\r\n".encode("latin-1"))
    legacy = run_bot_command(tmp_path, "translations", "--apply", str(sheet), LOCALES_DIR=str(locales))
    assert legacy.returncode == 2 and "not UTF-8" in legacy.stderr
    assert (locales / "ar.po").read_bytes() == before
    # Swedish is the source: there is no sheet for it.
    source = run_bot_command(
        tmp_path, "translations", "--review", "sv", "--out", str(sheet), LOCALES_DIR=str(locales)
    )
    assert source.returncode == 2 and "Swedish is the source" in source.stderr
