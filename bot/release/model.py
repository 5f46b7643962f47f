"""A protected release as data: what ``release.json`` and the open-data CSV files hold, and
what every admin output reads.

In the file, a cell's ``where`` names each dimension it is restricted to: a code, ``null`` for
no answer, or a list of codes for a headline that adds several options up. The pair that
restricts a table to completed responses is not written in its cells: the table's
``universe`` says it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.release.attacker import Published
from bot.release.protection import Previous, Status
from bot.release.tables import COMPLETED_ONLY, Dimension, Selector, Table, Where

FORMAT = 1


def _encode(cell: Where, universe: str) -> dict[str, Any]:
    pairs = [pair for pair in cell if not (universe == "completed" and pair in COMPLETED_ONLY)]
    return {name: list(selector) if isinstance(selector, tuple) else selector for name, selector in pairs}


def _decode(where: Mapping[str, Any], universe: str) -> Where:
    pairs: list[tuple[str, Selector]] = [
        (name, tuple(value) if isinstance(value, list) else value) for name, value in where.items()
    ]
    if universe == "completed":
        pairs.extend(COMPLETED_ONLY)
    return tuple(sorted(pairs))


@dataclass(frozen=True, slots=True)
class Release:
    survey: str
    survey_version: str
    made_at: str  # ISO 8601 with the municipality's offset
    synthetic: bool
    # The days of the first and the last consent counted (the municipality's dates).
    period: tuple[str | None, str | None]
    dimensions: Mapping[str, Dimension]
    tables: tuple[Table, ...]
    status: Mapping[Where, Status]
    shown: Mapping[Where, int]  # the count of every shown cell
    # Completed responses counted, kept beside the file: a later release is made only when
    # enough came since.
    completed: int
    # Kept out of the file: the true counts of the small cells, for auditing the next release.
    small: Mapping[Where, int] = field(default_factory=dict, compare=False)

    def n(self, cell: Where) -> int | None:
        """The published count of ``cell``, or None when it is hidden (or not in the release)."""
        return self.shown.get(cell)

    def hidden(self, cell: Where) -> Status | None:
        status = self.status.get(cell)
        return status if status in (Status.SMALL, Status.SECONDARY) else None

    def table(self, table_id: str) -> Table | None:
        return next((table for table in self.tables if table.id == table_id), None)

    def previous(self) -> Previous:
        return Previous(Published(self.dimensions, self.shown), self.small)

    # -- the auditor's file --------------------------------------------------------------

    def _cells(self, table: Table) -> Iterator[dict[str, Any]]:
        for cell in table.cells:
            entry: dict[str, Any] = {"where": _encode(cell, table.universe)}
            if cell in self.shown:
                entry["n"] = self.shown[cell]
            else:
                entry["suppressed"] = str(self.status[cell])
            yield entry

    def to_json(self) -> dict[str, Any]:
        dimensions = {}
        for name, dimension in self.dimensions.items():
            entry: dict[str, Any] = {"multiple": dimension.multiple, "codes": list(dimension.codes)}
            if dimension.merged:
                entry["merged"] = {code: sorted(members) for code, members in dimension.merged.items()}
            if dimension.multiple:
                entry["at_least_one"] = dimension.at_least_one
                entry["exclusive"] = sorted(dimension.exclusive)
            if dimension.always_given:
                entry["always_given"] = True
            dimensions[name] = entry
        return {
            "format": FORMAT,
            "survey": self.survey,
            "survey_version": self.survey_version,
            "made_at": self.made_at,
            "synthetic": self.synthetic,
            "period": {"first": self.period[0], "last": self.period[1]},
            "dimensions": dimensions,
            "tables": [
                {
                    "id": table.id,
                    "universe": table.universe,
                    "dimensions": list(table.dimensions),
                    "cells": list(self._cells(table)),
                }
                for table in self.tables
            ],
        }

    def small_json(self) -> list[dict[str, Any]]:
        """The private part: true counts of the small cells (universe written out in full)."""
        return [{"where": _encode(cell, "consented"), "n": n} for cell, n in self.small.items()]

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], small: list[dict[str, Any]] | None = None, completed: int = 0
    ) -> Release:
        """The release of a file; ``small`` and ``completed`` are kept beside it, not in it (the
        number of completed responses is in the file only where its cell is shown)."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown release format {data.get('format')!r}")
        dimensions = {
            name: Dimension(
                name,
                bool(entry["multiple"]),
                tuple(entry["codes"]),
                {code: frozenset(members) for code, members in entry.get("merged", {}).items()},
                bool(entry.get("at_least_one", True)),
                frozenset(entry.get("exclusive", ())),
                bool(entry.get("always_given", False)),
            )
            for name, entry in data["dimensions"].items()
        }
        tables = []
        status: dict[Where, Status] = {}
        shown: dict[Where, int] = {}
        for entry in data["tables"]:
            universe = entry["universe"]
            cells = []
            for cell_entry in entry["cells"]:
                cell = _decode(cell_entry["where"], universe)
                cells.append(cell)
                if "n" in cell_entry:
                    shown[cell] = int(cell_entry["n"])
                    status[cell] = Status.SHOWN
                else:
                    status[cell] = Status(cell_entry["suppressed"])
            tables.append(Table(entry["id"], universe, tuple(entry["dimensions"]), tuple(cells)))
        return cls(
            survey=data["survey"],
            survey_version=data["survey_version"],
            made_at=data["made_at"],
            synthetic=bool(data["synthetic"]),
            period=(data["period"]["first"], data["period"]["last"]),
            dimensions=dimensions,
            tables=tuple(tables),
            status=status,
            shown=shown,
            completed=completed,
            small={_decode(item["where"], "consented"): int(item["n"]) for item in small or []},
        )

    # -- open data -----------------------------------------------------------------------

    def csv_text(self, table: Table) -> str:
        """One table as CSV: a column per dimension ("" for all, "(inget svar)" for no answer,
        codes joined by "+" for a headline), then the count, or ".." with the reason."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*table.dimensions, "n", "suppressed"])
        for cell in table.cells:
            values = dict(cell)
            row = []
            for name in table.dimensions:
                if name not in values:
                    row.append("")
                else:
                    selector = values[name]
                    row.append(
                        "(inget svar)"
                        if selector is None
                        else "+".join(selector)
                        if isinstance(selector, tuple)
                        else selector
                    )
            if cell in self.shown:
                row += [str(self.shown[cell]), ""]
            else:
                row += ["..", str(self.status[cell])]
            writer.writerow(row)
        return out.getvalue()

    def write(self, directory: Path) -> list[Path]:
        """``release.json`` and one CSV per table into ``directory``; the paths written."""
        directory.mkdir(parents=True, exist_ok=True)
        written = [directory / "release.json"]
        written[0].write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        for table in self.tables:
            path = directory / f"{table.id}.csv"
            path.write_text(self.csv_text(table), encoding="utf-8")
            written.append(path)
        return written
