"""The Word report as its reader sees it: rendered to PDF by LibreOffice, page by page.

Checks what only a rendered document shows: a question's heading, table, note and chart share a
page, no table row is split, and every script quoted is drawn with a font that has its letters
(a missing glyph prints as an empty box). A PNG of each page is kept
in ``test-artifacts/report/`` for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import docx
import pytest

from bot.i18n.catalogue import Translations, Translator
from bot.report.document import render_docx
from bot.report.figures import AskedQuestion, Breakdown, Evidence, GroupFigure, Headline, Quote, Theme
from tests.test_report import AGENCIES, FREQUENCY, WAITING, evidence, themes

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts" / "report"
AMHARIC = "ወረፋው በጣም ረጅም ነበር፤ ሁለት ሰዓት ጠበቅሁ።"
TIGRINYA = "ኣብ ቤት ጽሕፈት ንውሕ ዝበለ ግዜ ተጸቢየ።"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are needed to render the report (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def strings() -> Translator:
    return Translations.load(PROJECT / "locales" / "report").translator("sv")


def long_report() -> Evidence:
    """A report as long as a real one: twelve questions, each side's claims, quotes in Amharic,
    Tigrinya, Arabic and Somali, and the questionnaire annex."""
    questions = []
    for number in range(4):
        for base in (FREQUENCY, AGENCIES, WAITING):
            questions.append(replace(base, key=f"{base.key}{number}", title=f"{base.title} ({number + 1})"))
    ethiopic = Theme(
        code="crowding_premises",
        title="Trängsel och lokaler",
        description="Berättelser om väntrummet och lokalerna.",
        count=12,
        share=12 / 87,
        quotes=(
            Quote(AMHARIC, "am", "amhariska", translation="Kön var mycket lång; jag väntade två timmar."),
            Quote(TIGRINYA, "ti", "tigrinja", translation="Jag väntade länge på kontoret."),
        ),
    )
    return replace(
        evidence(questions=tuple(questions)),
        themes=(*themes(), ethiopic),
        headlines=(
            Headline(
                "wait_30",
                "Väntade 30 minuter eller mer vid senaste besöket",
                "wait_time",
                390,
                1020,
                side="agencies",
            ),
            Headline(
                "language_need", "Behöver hjälp med svenskan", "language_need", 689, 1100, side="municipality"
            ),
        ),
        questionnaire=tuple(
            AskedQuestion(
                f"q{number}", number, f"Fråga nummer {number}?", "single", ("Ja", "Nej", "Vet inte")
            )
            for number in range(1, 15)
        ),
        languages_offered=("svenska", "arabiska", "somaliska", "tigrinja", "amhariska"),
        breakdowns=tuple(
            Breakdown(
                key,
                label,
                tuple(
                    GroupFigure(grouping, group, 160 + 20 * index, None if index == 3 else 40 + 9 * index)
                    for index, (grouping, group) in enumerate(
                        [("Bostadsområde", area) for area in ("Alby", "Fittja", "Hallunda-Norsborg", "Tumba")]
                        + [("Ålder", age) for age in ("16–24 år", "25–44 år", "45–64 år", "65–79 år")]
                        + [("Språk", language) for language in ("svenska", "arabiska", "Övriga språk")]
                    )
                ),
            )
            for key, label in (
                ("wait_30", "Väntade 30 minuter eller mer"),
                ("language_need", "Behöver hjälp"),
            )
        ),
    )


def render_pdf(document: bytes, directory: Path) -> Path:
    source = directory / "report.docx"
    source.write_bytes(document)
    profile = directory / "profile"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(directory),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return directory / "report.pdf"


def pages_of(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def keep_pngs(pdf: Path) -> None:
    if shutil.which("pdftoppm") is None:
        return
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / "page")], check=True, timeout=120
    )


def test_the_rendered_report_keeps_its_parts_together_and_draws_every_script(
    strings: Translator, tmp_path: Path
) -> None:
    report = long_report()
    document = render_docx(report, strings)
    pdf = render_pdf(document, tmp_path)
    keep_pngs(pdf)
    pages = pages_of(pdf)
    assert len(pages) >= 10

    # Every quoted script comes out as text, set in a font that has its letters: without one,
    # LibreOffice still writes the text but draws empty boxes.
    whole = " ".join(pages)
    for quote in (AMHARIC, TIGRINYA):
        assert " ".join(quote.split()) in whole, quote
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Ethiopic|Ebrima|Nyala", fonts), (
        f"no font with Ethiopic letters (fonts-noto-core):\n{fonts}"
    )

    # Each question's heading shares its page with its table's last row and its note.
    titles = [question.title for question in report.questions]
    for number, (title, question) in enumerate(zip(titles, report.questions, strict=True), start=1):
        heading = f"{number}. {title}"
        page = next(index for index, text in enumerate(pages) if heading in text)
        after = pages[page][pages[page].index(heading) :]
        last_label = question.cells[-1].label
        assert last_label in after, f"question {number}: table runs over to the next page"
        assert "Antal som" in after, f"question {number}: the note is on another page"
        sentence = re.search(r"Av de [\d ]+ som|Skillnaden mellan", after)
        assert sentence, f"question {number}: its sentence is on another page"

    # No page ends with a heading (the footer aside): a heading stays with what it heads.
    headings = [f"{number}. {title}" for number, title in enumerate(titles, start=1)]
    headings += [
        strings("report.questions.heading"),
        strings("report.themes.heading"),
        strings("report.claims.heading"),
    ]
    for index, text in enumerate(pages, start=1):
        body = re.sub(r"Underlaget är framtaget med citizen-feedback-bot, \S+ – sida \d+$", "", text).strip()
        assert not any(body.endswith(heading) for heading in headings), f"page {index} ends with a heading"

    # The document itself: the table rows may not split, and the header is bold.
    word = docx.Document(io.BytesIO(document))
    for table in word.tables:
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
        for row in table.rows:
            assert (
                row._tr.trPr is not None
                and row._tr.trPr.find(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cantSplit"
                )
                is not None
            )
