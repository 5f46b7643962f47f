"""The report for the consultation response: Word and Markdown say the same, hide what is hidden.

The evidence is built by hand. Hidden cells have known "true" values that the test keeps aside
(3 and 164 of 1 234, 4 of 980) so it can check that neither they, their shares nor anything that
would reveal them (the sum of the shown cells, the base less that sum) is printed anywhere.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from PIL import Image

from bot.i18n.catalogue import Translations, Translator
from bot.report.charts import bar_chart, theme_chart
from bot.report.document import render_docx, render_markdown
from bot.report.figures import (
    AskedQuestion,
    Breakdown,
    Cell,
    Distribution,
    Evidence,
    GroupFigure,
    Headline,
    HeadlinePart,
    Quote,
    Theme,
)
from bot.report.numbers import NBSP, format_count, format_share
from bot.report.uncertainty import format_interval, wilson

PROJECT = Path(__file__).resolve().parent.parent
HIDDEN = ".."
ARABIC = "انتظرت ساعتين في مكتب الخدمة."
PERSIAN = "من برای نامه‌ها به کمک نیاز دارم."
SOMALI = "Waxaan u baahanahay turjubaan markaan tago xafiiska."
HIDDEN_QUOTE = "Bussen till Liljeholmen går sällan från Tumba."
# Words that would colour the figures instead of stating them.
EDITORIAL = (
    "endast", "bara", "så många som", "alarmerande", "oroväckande", "oroande", "dramatisk",
    "tydligt", "majoritet", "slutsats", "svek", "drabba", "tyvärr",
)  # fmt: skip


@pytest.fixture(scope="module")
def strings() -> Translator:
    return Translations.load(PROJECT / "locales" / "report").translator("sv")


def cells(*rows: tuple[str, int | None, int]) -> tuple[Cell, ...]:
    """Cells from (label, count or None, base)."""
    return tuple(
        Cell(code=f"c{index}", label=label, count=count, share=None if count is None else count / base)
        for index, (label, count, base) in enumerate(rows)
    )


def distribution(
    key: str, title: str, base: int | None, rows: list[tuple[str, int | None]], *, multiple: bool = False
) -> Distribution:
    return Distribution(
        key=key,
        title=title,
        multiple=multiple,
        base=base,
        skipped=12,
        cells=cells(*[(label, count, base or 1) for label, count in rows]),
    )


FREQUENCY = distribution(
    "frequency",
    "Hur ofta har du varit på servicekontoret i Hallunda det senaste året?",
    1234,
    # Hidden: 3 and 164; shown sum 1 067; base less that 167.
    [
        ("Minst en gång i veckan", 456),
        ("Minst en gång i månaden", 611),
        ("Några gånger", None),
        ("En gång", None),
    ],
)
AGENCIES = distribution(
    "agencies",
    "Vilka myndigheter har du fått hjälp av på servicekontoret?",
    980,
    [("Försäkringskassan", 700), ("Skatteverket", 402), ("Pensionsmyndigheten", None), ("Vet inte", 55)],
    multiple=True,
)
# Asked only of visitors: 214 were routed past it.
WAITING = replace(
    distribution(
        "waiting",
        "Hur länge brukar du få vänta på servicekontoret?",
        1020,
        [("Under 15 min", 210), ("15–30 min", 390), ("30–60 min", 290), ("Mer än 1 timme", 100)],
    ),
    not_asked=214,
)
FORBIDDEN_NUMBERS = ("164", "167", "1 067", "1067")
FORBIDDEN_PATTERNS = (
    r"\b3 \(",  # the hidden 3 with a share
    r"\b4 \(",  # the hidden 4 with a share
    r"\b0,2 %",  # 3 of 1 234
    r"\b13 %",  # 164 of 1 234
    r"\b14 %",  # 167 of 1 234
    r"\b0,4 %",  # 4 of 980
)


def themes() -> tuple[Theme, ...]:
    return (
        Theme(
            code="waiting",
            title="Väntetider",
            description="Berättelser om hur länge man väntar på att få hjälp.",
            count=31,
            share=31 / 87,
            quotes=(
                Quote("Jag väntade i två timmar men fick hjälp med blanketten.", "sv", "svenska"),
                Quote(ARABIC, "ar", "arabiska", translation="Jag väntade två timmar på servicekontoret."),
            ),
        ),
        Theme(
            code="language",
            title="Språk och tolk",
            description="Berättelser om att behöva hjälp på ett annat språk än svenska.",
            count=25,
            share=25 / 87,
            quotes=(
                Quote(
                    SOMALI, "so", "somaliska", translation="Jag behöver en tolk när jag går till kontoret."
                ),
                Quote(PERSIAN, "fa", "persiska"),
            ),
        ),
        Theme(
            code="distance",
            title="Resvägen",
            description="Berättelser om resan till servicekontoret.",
            count=None,
            share=None,
            quotes=(Quote(HIDDEN_QUOTE, "sv", "svenska"),),
        ),
    )


def evidence(*, synthetic: bool = False, questions: tuple[Distribution, ...] | None = None) -> Evidence:
    return Evidence(
        survey_id="service_office",
        survey_version="2026.1",
        synthetic=synthetic,
        # As EvidenceService gives it: the time the release was made, in the municipality's time.
        generated_at="2026-11-27 14:05",
        period_start="2026-10-01",
        period_end="2026-11-26",
        started=1250,
        completed=1010,
        languages=distribution(
            "language", "Språk", 1250, [("svenska", 800), ("arabiska", 300), ("tigrinja", None)]
        ),
        areas=distribution(
            "area", "Var bor du?", 1100, [("Hallunda-Norsborg", 520), ("Alby", 380), ("Tumba", None)]
        ),
        ages=distribution(
            "age", "Hur gammal är du?", 1150, [("Under 25", 120), ("25–44", 510), ("45–64", 350)]
        ),
        headlines=(
            Headline(
                "language_help",
                "Behöver hjälp på ett annat språk",
                "language_help",
                689,
                1100,
                parts=(HeadlinePart("Alltid", 402), HeadlinePart("Ibland", None)),
            ),
            Headline("mobility", "Åker färdtjänst till kontoret", "transport", None, 1005),
        ),
        questions=(FREQUENCY, AGENCIES, WAITING) if questions is None else questions,
        stories_written=87,
        voice_notes=9,
        story_languages=distribution(
            "story_language",
            "Berättelsernas språk",
            87,
            [("svenska", 40), ("arabiska", 22), ("kurdiska", None)],
        ),
        themes=themes(),
        translation_provider="Testöversättaren",
        notes=(
            "Svaren kommer från enkätversion 2026.1.",
            "Temaindelningen är prövad mot 200 granskade berättelser: precision 0,91 och täckning 0,84.",
        ),
    )


def docx_text(document: docx.document.Document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    section = document.sections[0]
    parts += [paragraph.text for paragraph in section.header.paragraphs]
    parts += [paragraph.text for paragraph in section.footer.paragraphs]
    return "\n".join(parts)


def table_rows(document: docx.document.Document) -> set[tuple[str, ...]]:
    """Each row's label, count and share (a question's interval column left out)."""
    return {tuple(cell.text for cell in row.cells[:3]) for table in document.tables for row in table.rows}


def interval_rows(document: docx.document.Document) -> dict[str, str]:
    """The 95 % interval column of the question tables: label -> interval."""
    return {
        row.cells[0].text: row.cells[3].text
        for table in document.tables
        if len(table.columns) == 4 and table.rows[0].cells[3].text == "Konfidensintervall (95 %)"
        for row in table.rows[1:]
    }


def expected_rows(distribution: Distribution) -> set[tuple[str, ...]]:
    return {
        (cell.label, HIDDEN, "")
        if cell.count is None
        else (cell.label, format_count(cell.count), format_share(cell.share or 0))
        for cell in distribution.cells
    }


# The method states the protection rule itself: "inga antal mellan 1 och 4 (färre än 5)". That
# "4 (" is the threshold, not a hidden count with its share, so that one phrase, exactly as the
# catalogue words it and only once, is taken out before hidden counts are looked for.
THRESHOLD_RULE = "mellan 1 och 4 (färre än 5)"


def assert_nothing_hidden_is_revealed(text: str) -> None:
    plain = text.replace(NBSP, " ")
    assert plain.count(THRESHOLD_RULE) == 1, "the rule is stated once, in the method"
    plain = plain.replace(THRESHOLD_RULE, "mellan 1 och [gränsen]")
    numbers = set(re.findall(r"\d+(?: \d{3})*", plain))
    for number in FORBIDDEN_NUMBERS:
        assert number not in numbers, number
    for pattern in FORBIDDEN_PATTERNS:
        assert not re.search(pattern, plain), pattern
    assert HIDDEN_QUOTE not in text, "a hidden theme's quotes would show it has at least that many stories"


def assert_neutral(text: str, strings: Translator) -> None:
    # report.method.partial says whom the figures count: "räknar bara dem som fullföljde
    # enkäten". That "bara" delimits the figures, it does not colour one, so that one sentence,
    # as the catalogue words it, is left out of the check; every other word still is checked.
    partial = strings("report.method.partial")
    assert text.count(partial) == 1, "the method says once whom the figures count"
    lowered = text.replace(partial, "").lower()
    for word in EDITORIAL:
        assert not re.search(rf"\b{word}\b", lowered), word


def test_swedish_number_format() -> None:
    assert format_count(1234) == f"1{NBSP}234" and format_count(1234567) == f"1{NBSP}234{NBSP}567"
    assert format_count(5) == "5"
    assert format_share(0.456) == f"46{NBSP}%" and format_share(0.285) == f"29{NBSP}%"
    assert format_share(0.004) == f"0,4{NBSP}%" and format_share(0) == f"0{NBSP}%"


def test_the_catalogue_is_babel_readable_with_plural_forms(strings: Translator) -> None:
    assert strings("report.hidden", threshold=5) == HIDDEN
    assert (
        strings.plural("report.method.started", 1)
        == "Totalt gav 1 person sitt samtycke och påbörjade enkäten."
    )
    assert "2 personer" in strings.plural("report.method.started", 2)
    for key, forms in strings.translations.source.messages.items():
        assert key.startswith("report."), key
        assert len(forms) in (1, 2), key


def test_word_report_content(strings: Translator) -> None:
    report = evidence()
    document = docx.Document(io.BytesIO(render_docx(report, strings)))
    text = docx_text(document)

    assert document.paragraphs[0].text == strings("report.title")
    assert "SYNTETISKA" not in text
    assert document.core_properties.title == strings("report.title")
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert "Underlaget är framtaget med citizen-feedback-bot" in text and "2026-11-27" in text
    assert section.footer._element.xpath(".//w:fldSimple[@w:instr='PAGE']")

    # Headlines: "count av base (share)", or the hidden text with no share.
    # A joined headline names its parts, so "always or sometimes" is not read as "always".
    assert (
        f"Behöver hjälp på ett annat språk: 689 av 1{NBSP}100 (63{NBSP}%), "
        f"därav ”Alltid” 402, ”Ibland” {HIDDEN}" in text
    )
    assert f"Åker färdtjänst till kontoret: {HIDDEN} av 1{NBSP}005" in text

    # Every distribution's table: every shown count and share, every hidden cell "färre än 5".
    rows = table_rows(document)
    for shown in (report.languages, report.areas, report.ages, report.story_languages, *report.questions):
        assert expected_rows(shown) <= rows, shown.key
    assert ("Resvägen", HIDDEN, "") in rows and ("Väntetider", "31", f"36{NBSP}%") in rows

    # One neutral sentence per question, naming the largest shown option. Every base is of
    # those who completed the survey (those who skipped the question included), and says so.
    assert f"Av de 1{NBSP}234 som fullföljde enkäten valde 611 (50{NBSP}%) ”Minst en gång i månaden”." in text
    assert (
        "Av de 980 som fullföljde enkäten, där var och en kunde välja flera svarsalternativ, valde " in text
    )
    assert f"Antal som fullföljde enkäten: 1{NBSP}234, varav 12 hoppade över frågan." in text
    assert "Några resultat i korthet (antal och andel av dem som fick frågan och fullföljde enkäten):" in text
    assert "besvarade frågan" not in text
    assert f"valde 700 (71{NBSP}%) ”Försäkringskassan”." in text
    # A routed question's base is those asked, and its sentence says so.
    asked = f"Av de 1{NBSP}020 som fick frågan och fullföljde enkäten"
    assert f"{asked} valde 390 (38{NBSP}%) ”15–30 min”." in text
    assert f"Av de 1{NBSP}020 som fullföljde" not in text
    assert "1. Hur ofta har du varit på servicekontoret i Hallunda det senaste året?" in text

    # Method: who answered, self-selection, partial answers, protection, the notes.
    assert f"gav 1{NBSP}250 personer sitt samtycke" in text and f"fullföljde 1{NBSP}010 personer" in text
    assert "Enkätversion 2026.1." in text and "från och med 2026-10-01 till och med 2026-11-26" in text
    assert "service_office" not in text  # an internal id means nothing to a reader
    # Margins: every shown share of a question has its 95 % interval; a hidden one has none.
    intervals = interval_rows(document)
    assert intervals["Minst en gång i månaden"] == format_interval(wilson(611, 1234)) == f"47–52{NBSP}%"
    assert intervals["Några gånger"] == ""
    assert "Wilsons metod" in text and "den minsta osäkerhet siffrorna har" in text
    # What the intervals leave out, and the mode of the survey, are said plainly.
    assert "själva valde att svara" in text and "troligen underskattad" in text
    assert "inga befolkningssiffror har tagits fram" in text
    assert "inte ett slumpmässigt urval" in text and "hann svara på" not in text
    # Only completed responses are counted; a skipped question counts as "Uppgift saknas", and
    # shares are of all who completed the survey.
    assert "Siffrorna om frågorna räknar bara dem som fullföljde enkäten." in text
    assert "Den som hoppade över en fråga räknas under ”Uppgift saknas”." in text
    assert "Andelarna räknas på alla som fullföljde enkäten, även dem som hoppade över frågan" in text
    assert "så att ett dolt antal inte kan räknas fram" in text
    assert "genom att jämföra med en tidigare sammanställning" in text
    assert "Alla siffror kommer från en och samma sammanställning, gjord 2026-11-27 14:05." in text
    assert all(note in text for note in report.notes)

    # Stories: counts, quotes with their language, translations labelled.
    assert "Det kom in 87 skrivna berättelser." in text and "Det kom in 9 röstmeddelanden." in text
    assert "(språk: somaliska)" in text and "(språk: persiska)" in text
    assert "Maskinöversättning till svenska: Jag väntade två timmar på servicekontoret." in text
    assert "Testöversättaren" in text

    assert_nothing_hidden_is_revealed(text)
    assert_neutral(text, strings)


def test_a_hidden_started_count_is_not_printed(strings: Translator) -> None:
    """When those who stopped part-way are 1-4 the release hides the number who started: the
    report then says how many completed and why the other number is not shown."""
    report = replace(evidence(), started=None)
    for text in (
        docx_text(docx.Document(io.BytesIO(render_docx(report, strings)))),
        render_markdown(report, strings).replace("\\", ""),
    ):
        plain = text.replace(NBSP, " ")
        assert "1 010 personer fullföljde enkäten. Svaren kom in från och med 2026-10-01" in plain
        assert strings("report.method.started_hidden") in text
        assert "påbörjades av" not in plain and "1 250 personer sitt samtycke" not in plain
        assert "Av dem fullföljde 1 010 personer enkäten." in plain
        assert_nothing_hidden_is_revealed(text)
        assert_neutral(plain, strings)


def test_claims_margins_and_the_questionnaire_annex(strings: Translator) -> None:
    """Each side's claims in one table with count, base and 95 % interval; a question whose two
    largest options overlap names neither; the annex has the questions word for word, with
    routing; area and age are shown once, with the respondents."""
    close = distribution(
        "trade_off",
        "Vad är viktigast för dig?",
        2000,
        [("Kort väntetid", 602), ("Kort resa", 600), ("Båda", 700)],
    )
    area = distribution("district", "Var bor du?", 1100, [("Alby", 520), ("Tumba", 480)])
    report = replace(
        evidence(questions=(FREQUENCY, close, area)),
        headlines=(
            Headline("wait_30", "Väntade 30 minuter eller mer", "wait_time", 390, 1020, side="agencies"),
            Headline(
                "language_need",
                "Behöver hjälp med svenskan",
                "language_need",
                None,
                1005,
                side="municipality",
            ),
            Headline("context", "Bakgrundsfigur", "visits", 12, 1234),
        ),
        questionnaire=(
            AskedQuestion("q1", 1, "Har du varit på kontoret?", "single", ("Ja", "Nej")),
            AskedQuestion(
                "q2",
                2,
                "Hur länge väntade du?",
                "single",
                ("Kort", "Länge"),
                asked_if=(1, ("Ja", "Tidigare")),
            ),
            AskedQuestion("q3", 3, "Vilka myndigheter?", "multi", ("FK", "SKV")),
            AskedQuestion("q4", 4, "Berätta gärna", "free_text", ()),
        ),
        languages_offered=("svenska", "arabiska", "somaliska"),
        grouping_keys=("district",),
        breakdowns=(
            Breakdown(
                "wait_30",
                "Väntade 30 minuter eller mer",
                (
                    GroupFigure("Bostadsområde", "Alby", 400, 180),
                    GroupFigure("Bostadsområde", "Tumba", 300, None),
                    GroupFigure("Språk", "arabiska", None, None),
                ),
            ),
        ),
    )
    document = docx.Document(io.BytesIO(render_docx(report, strings)))
    text = docx_text(document)
    claims = next(table for table in document.tables if table.rows[0].cells[0].text == "Argument")
    rows = [[cell.text for cell in row.cells] for row in claims.rows[1:]]
    # Only headlines that answer a side's claim; the figure, its base and its interval.
    assert [row[0].split("\n")[0] for row in rows] == [
        "Väntade 30 minuter eller mer",
        "Behöver hjälp med svenskan",
    ]
    assert rows[0][1:] == [
        "Myndigheterna",
        f"390 av 1{NBSP}020 (38{NBSP}%)",
        format_interval(wilson(390, 1020)),
    ]
    assert strings("report.claim.wait_30") in rows[0][0]  # what the figure can and cannot say
    assert rows[1][1:] == ["Kommunen", f"{HIDDEN} av 1{NBSP}005", ""]  # a hidden count has no interval
    assert "Bakgrundsfigur" not in " ".join(row[0] for row in rows)
    assert strings("report.claims.intervals") in text
    # 700 against 602 differ beyond sampling error; 602 against 600 would not, but only the two
    # largest are compared: the sentence names the largest.
    assert "valde 700 (35" in text
    tight = replace(
        close, cells=cells(("Kort väntetid", 602, 2000), ("Kort resa", 600, 2000), ("Båda", 500, 2000))
    )
    tight_text = docx_text(
        docx.Document(io.BytesIO(render_docx(replace(report, questions=(tight,)), strings)))
    )
    assert (
        "Skillnaden mellan ”Kort väntetid” och ”Kort resa”, de två vanligaste svaren, är inte" in tight_text
    )
    assert "valde 602" not in tight_text
    # Area is a grouping: in the method section once, not again among the results.
    assert text.count("Var bor du?") == 0 and "Bostadsområde" in text
    # The annex, word for word, with who was asked what.
    annex = text[text.index("Bilaga: frågorna som invånarna fick") :]
    assert "2. Hur länge väntade du?" in annex
    assert "Ställdes till dem som svarade ”Ja” eller ”Tidigare” på fråga 1." in annex
    assert "Flera svar kunde väljas." in annex and "Svar med egna ord" in annex
    assert "Enkäten fanns på 3 språk: svenska, arabiska, somaliska." in annex
    # Each claim by group, with each group's base and margin; hidden stays hidden.
    by_group = text[text.index("Argumenten efter område, ålder och språk") :]
    assert f"Bostadsområde: Alby | 400 | 180 (45{NBSP}%) | {format_interval(wilson(180, 400))}" in by_group
    assert f"Bostadsområde: Tumba | 300 | {HIDDEN} | " in by_group
    assert f"Språk: arabiska | {HIDDEN} |  | " in by_group
    markdown = render_markdown(report, strings)
    assert "| Väntade 30 minuter eller mer<br>*" in markdown
    assert_nothing_hidden_is_revealed(text)
    assert_neutral(text.replace(NBSP, " "), strings)


def test_a_theme_without_approved_quotes_says_they_await_review(strings: Translator) -> None:
    first, *others = themes()
    report = replace(evidence(), themes=(replace(first, quotes=()), *others))
    text = docx_text(docx.Document(io.BytesIO(render_docx(report, strings))))
    # Once, for the shown theme without quotes; the hidden theme says why it shows none.
    assert text.count("Inga citat visas för temat ännu.") == 1
    assert text.count("granskade och godkända av en handläggare") == 1
    assert "Inga citat visas för temat ännu." in render_markdown(report, strings)
    assert_neutral(text, strings)


def test_word_report_charts_and_right_to_left_quotes(strings: Translator) -> None:
    document = docx.Document(io.BytesIO(render_docx(evidence(), strings)))
    assert len(document.inline_shapes) == 3 + 1  # one per question and the themes
    assert all(round(shape.width.cm) == 16 for shape in document.inline_shapes)

    by_text = {paragraph.text: paragraph for paragraph in document.paragraphs}
    for quote in (ARABIC, PERSIAN):
        paragraph = by_text[quote]
        assert paragraph._p.pPr.find(qn("w:bidi")) is not None
        assert paragraph.runs[0].font.rtl and paragraph.runs[0].font.italic
    for quote in (SOMALI, "Jag väntade i två timmar men fick hjälp med blanketten."):
        paragraph = by_text[quote]
        assert paragraph._p.pPr is None or paragraph._p.pPr.find(qn("w:bidi")) is None
        assert paragraph.style.name == "Quote" and paragraph.runs[0].font.italic


def test_synthetic_data_is_said_on_the_title_banner_and_every_page(strings: Translator) -> None:
    document = docx.Document(io.BytesIO(render_docx(evidence(synthetic=True), strings)))
    first_page = [paragraph.text for paragraph in document.paragraphs[:4]]
    assert first_page[0].startswith("SYNTETISKA TESTDATA")
    assert "SYNTETISKA TESTDATA – inte verkliga svar" in first_page
    assert "SYNTETISKA TESTDATA – inte verkliga svar" in document.sections[0].header.paragraphs[0].text
    markdown = render_markdown(evidence(synthetic=True), strings)
    assert (
        markdown.startswith("# SYNTETISKA TESTDATA")
        and "> **SYNTETISKA TESTDATA – inte verkliga svar**" in markdown
    )


def test_markdown_has_the_same_content_without_charts(strings: Translator) -> None:
    report = evidence()
    markdown = render_markdown(report, strings)
    plain = markdown.replace("\\", "")
    assert markdown.startswith(f"# {strings('report.title')}\n")
    assert "![" not in markdown
    for shown in (report.languages, report.areas, report.ages, report.story_languages, *report.questions):
        for label, count, share in expected_rows(shown):
            assert f"| {label} | {count} | {share} |" in plain, label
    assert (
        f"Av de 1{NBSP}234 som fullföljde enkäten valde 611 (50{NBSP}%) ”Minst en gång i månaden”." in plain
    )
    # Right-to-left quotes are isolated so they keep their direction; others are not.
    assert f"> *\u2067{ARABIC}\u2069*" in markdown and f"> *\u2067{PERSIAN}\u2069*" in markdown
    assert f"> *{SOMALI}*" in markdown
    assert "> Maskinöversättning till svenska: Jag behöver en tolk när jag går till kontoret." in markdown
    assert_nothing_hidden_is_revealed(plain)
    assert_neutral(plain, strings)


def test_markdown_escapes_what_residents_wrote(strings: Translator) -> None:
    odd = Quote("*viktigt* <b>fet</b> | [länk](http://example.invalid)\nandra raden", "sv", "svenska")
    first = replace(themes()[0], quotes=(odd,))
    markdown = render_markdown(replace(evidence(), themes=(first,)), strings)
    assert (
        "> *\\*viktigt\\* \\<b\\>fet\\</b\\> \\| \\[länk\\](http://example.invalid)*\n>\n> *andra raden*"
        in markdown
    )


def test_no_stories_and_small_questions(strings: Translator) -> None:
    few = replace(
        FREQUENCY,
        key="few",
        title="Hur tar du dig oftast till servicekontoret?",
        base=None,
        cells=cells(("Till fots", None, 1), ("Cykel", None, 1)),
    )
    all_hidden = replace(WAITING, key="hidden", base=9, cells=cells(("Ja", None, 9), ("Nej", None, 9)))
    # Only an empty option shown: the sentence does not name it as if it said something.
    only_empty = replace(
        WAITING, key="empty", base=12, cells=cells(("Ja", None, 12), ("Nej", None, 12), ("Vet inte", 0, 12))
    )
    report = replace(
        evidence(questions=(FREQUENCY, few, all_hidden, only_empty)),
        stories_written=0,
        voice_notes=3,
        story_languages=distribution("story_language", "Berättelsernas språk", 0, []),
        themes=(),
    )
    document = docx.Document(io.BytesIO(render_docx(report, strings)))
    text = docx_text(document)
    assert len(document.inline_shapes) == 1, "no chart where nothing can be shown, no theme chart"
    assert (
        "Det har inte kommit in några skrivna berättelser." in text
        and "Det kom in 3 röstmeddelanden." in text
    )
    assert "Antalet som fullföljde enkäten är dolt, så andelarna redovisas inte." in text
    assert "Antalen för svarsalternativen är för små för att redovisas." in text
    assert "Svaren finns i svarsalternativ vars antal inte redovisas" in text
    silent = render_markdown(replace(report, voice_notes=0), strings)
    assert "Inga röstmeddelanden kom in." in silent and "0 röstmeddelanden" not in silent
    assert "valde 0 (0" not in text
    assert "Hur berättelserna delades in i teman" not in text
    assert "Hur berättelserna delades in i teman" not in render_markdown(report, strings)


def test_charts_are_print_sized_pngs_that_grow_with_the_bars(strings: Translator) -> None:
    small = Image.open(io.BytesIO(bar_chart(FREQUENCY, strings)))
    assert small.format == "PNG" and 900 <= small.width <= 1000  # 16 cm at 150 dpi
    long_labels = replace(
        AGENCIES,
        cells=AGENCIES.cells
        + cells(
            ("Ett mycket långt svarsalternativ som måste delas upp på flera rader i diagrammet", 20, 980)
        ),
    )
    large = Image.open(io.BytesIO(bar_chart(long_labels, strings)))
    assert large.height > small.height and large.width == small.width
    themed = Image.open(io.BytesIO(theme_chart(themes(), strings)))
    assert themed.format == "PNG" and themed.width == small.width


def big_evidence() -> Evidence:
    """Fourteen questions and seven themes, as many as the real survey can have."""
    questions = tuple(
        replace(AGENCIES if number % 3 == 0 else FREQUENCY, key=f"q{number}", title=f"Fråga nummer {number}?")
        for number in range(14)
    )
    many = tuple(replace(theme, code=f"{theme.code}{n}") for n in range(3) for theme in themes())[:7]
    return replace(evidence(), questions=questions, themes=many)


def test_a_full_report_renders_quickly_in_a_worker_thread(strings: Translator) -> None:
    results: dict[str, object] = {}

    def work() -> None:
        start = time.perf_counter()
        results["docx"] = render_docx(big_evidence(), strings)
        results["markdown"] = render_markdown(big_evidence(), strings)
        results["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert isinstance(results["seconds"], float) and results["seconds"] < 5
    document = docx.Document(io.BytesIO(results["docx"]))  # type: ignore[arg-type]
    assert len(document.inline_shapes) == 14 + 1
