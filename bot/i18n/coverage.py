"""`python -m bot translations`: how complete and how reviewed each catalogue is."""

from __future__ import annotations

from typing import TextIO

from bot.i18n.catalogue import SOURCE_LANGUAGE, Translations


def report(translations: Translations, out: TextIO) -> int:
    """Print one line per language, then the missing ids; returns how many are incomplete."""
    source_keys = list(translations.source.messages)
    incomplete = 0
    out.write(f"{'code':<8} {'language':<30} {'translated':>10} {'unreviewed':>10} {'missing':>7}\n")
    for code in translations.languages:
        catalogue = translations.catalogues[code]
        present = [key for key in source_keys if key in catalogue.messages]
        missing = [key for key in source_keys if key not in catalogue.messages]
        unreviewed = [key for key in present if key in catalogue.unreviewed]
        if code == SOURCE_LANGUAGE:
            unreviewed = []
        out.write(
            f"{code:<8} {catalogue.name:<30} {len(present):>10} {len(unreviewed):>10} {len(missing):>7}\n"
        )
        if missing:
            incomplete += 1
            out.write(f"         missing: {', '.join(missing)}\n")
    out.write(f"{len(source_keys)} messages in the source catalogue ({SOURCE_LANGUAGE}).\n")
    return incomplete
