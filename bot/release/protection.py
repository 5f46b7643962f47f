"""Which cells of a release are hidden, decided once for all its tables together.

1. Primary: a count of 1 to 4 is hidden ("small"). A zero is shown: it points at nobody. A
   zero that is so by design ("no answer" to the language or to having completed) is never
   hidden for another cell.
2. Secondary, by lines: wherever a published sum ties cells together (a table's rows and
   columns, its margins, a headline and the options it adds up), a line holding a small cell
   must hide at least two cells worth at least 5 together, or the small one follows by
   subtraction. Further cells are hidden, inner cells before margins and small before large,
   until every line holds ("secondary").
3. Audit: the attacker of ``bot.release.attacker`` then tries to pin every small cell, using
   every published cell of this release and of the one before it. Where it can prove a small
   cell holds less than 5, one more cell beside it is hidden, and steps 2 and 3 run again.

Every cell keeps one decision, whichever tables it appears in, so no two outputs hide the same
count in different ways.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.privacy.disclosure import MINIMUM
from bot.release.attacker import Inconsistent, Published, Target, exposed
from bot.release.tables import COMPLETED_ONLY, Layout, Line, Where, unpublished

log = logging.getLogger(__name__)

MAX_ROUNDS = 200


class Status(StrEnum):
    SHOWN = "shown"
    SMALL = "small"
    SECONDARY = "secondary"


def too_small(count: int) -> bool:
    return 0 < count < MINIMUM


@dataclass(frozen=True, slots=True)
class Previous:
    """The release before: what it showed, and the true counts of its small cells (kept
    privately, so that the next release is checked not to give them away)."""

    published: Published
    small: Mapping[Where, int]


@dataclass(frozen=True, slots=True)
class Decision:
    status: Mapping[Where, Status]
    rounds: int  # audit rounds until nothing was exposed
    attacked: int  # small cells the audit tried to pin in its last round


class _State:
    def __init__(self, layout: Layout, counts: Mapping[Where, int]) -> None:
        self.layout = layout
        self.counts = counts
        self.hidden: set[Where] = {cell for cell in counts if unpublished(cell) or too_small(counts[cell])}
        self.hidden.update(cell for cell in layout.withheld if cell in counts)
        # A "no answer" of a dimension everyone gives is known to be zero: it stays shown, and
        # the cells that truly protect a small one are hidden instead.
        self.known_zero = {
            cell
            for cell, count in counts.items()
            if count == 0
            and any(selector is None and layout.dimensions[name].always_given for name, selector in cell)
        }
        self.lines_of: dict[Where, list[Line]] = defaultdict(list)
        for line in layout.lines:
            for member in line.members:
                self.lines_of[member].append(line)

    def cost(self, cell: Where) -> tuple[int, int, int, int]:
        """Which cell to hide first: inner cells before margins, never the grand total or a
        headline unless nothing else is left, non-zero before zero, small before large."""
        count = self.counts[cell]
        if cell == COMPLETED_ONLY:
            kept = 3  # the base of every share
        elif cell == ():
            kept = 2  # those who consented
        elif any(isinstance(selector, tuple) for _, selector in cell):
            kept = 1  # a headline
        else:
            kept = 0
        return (kept, -len(cell), 1 if count == 0 else 0, count)

    def complete_lines(self) -> None:
        pending = list(self.layout.lines)
        while pending:
            line = pending.pop()
            members = line.members
            hidden = [cell for cell in members if cell in self.hidden]
            if not any(too_small(self.counts[cell]) for cell in hidden):
                continue
            while not (len(hidden) >= 2 and sum(self.counts[cell] for cell in hidden) >= MINIMUM):
                shown = [cell for cell in members if cell not in self.hidden and cell not in self.known_zero]
                if not shown:
                    break
                choice = min(shown, key=self.cost)
                self.hide(choice)
                hidden.append(choice)
                pending.extend(self.lines_of[choice])

    def hide(self, cell: Where) -> None:
        self.hidden.add(cell)

    def hide_beside(self, cell: Where) -> bool:
        """Hide the cheapest shown cell sharing a line with ``cell``, looking further out along
        hidden cells when its own lines have none left; a total or a headline only when no
        other cell is left anywhere near. False if there is nothing to hide."""
        return any(self._hide_near(cell, kept) for kept in (0, 1, 2, 3))

    def _hide_near(self, cell: Where, kept: int) -> bool:
        """As ``hide_beside``, among cells whose cost starts with at most ``kept``."""
        seen = {cell}
        frontier = [cell]
        while frontier:
            candidates: list[Where] = []
            following: list[Where] = []
            for current in frontier:
                for line in self.lines_of.get(current, ()):
                    for member in line.members:
                        if member in seen:
                            continue
                        seen.add(member)
                        if member in self.hidden:
                            following.append(member)
                        elif member not in self.known_zero and self.cost(member)[0] <= kept:
                            candidates.append(member)
            if candidates:
                self.hide(min(candidates, key=self.cost))
                return True
            frontier = following
        return False

    def shown(self) -> dict[Where, int]:
        return {
            cell: count
            for cell, count in self.counts.items()
            if cell not in self.hidden and not unpublished(cell)
        }

    def at_risk(self) -> dict[Where, int]:
        return {
            cell: count for cell, count in self.counts.items() if cell in self.hidden and too_small(count)
        }


def protect(
    layout: Layout,
    counts: Mapping[Where, int],
    *,
    previous: Previous | None = None,
    audit: bool = True,
) -> Decision:
    """Decide every cell's status; with ``audit``, until the attacker pins no small cell, in
    this release or (with ``previous``) in the one before."""
    if previous is not None and audit:
        try:
            return _protect(layout, counts, previous, audit)
        except Inconsistent:
            # Responses were deleted since (a resident erased theirs, or retention ran): the
            # two releases no longer describe one growing population, and the attacker cannot
            # link them either. Protect this one on its own.
            log.warning("release: the previous release no longer fits the data; audited alone")
    return _protect(layout, counts, None, audit)


def _protect(layout: Layout, counts: Mapping[Where, int], previous: Previous | None, audit: bool) -> Decision:
    state = _State(layout, counts)
    state.complete_lines()
    rounds = attacked = 0
    questions: Sequence[str | None] = [None, *layout.questions]
    at_risk: dict[int, Mapping[Where, int]] = {0: state.at_risk()}
    if previous is not None:
        at_risk = {0: previous.small, 1: at_risk[0]}
    attacked = sum(len(cells) for cells in at_risk.values())
    only: set[Target] | None = None
    while audit:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError("release protection did not settle")
        releases = [Published(layout.dimensions, state.shown())]
        if previous is not None:
            releases.insert(0, previous.published)
        found = exposed(releases, layout.groupings, questions, at_risk, only, layout.routes)
        if not found:
            break
        only = {target for target, _ in found}
        for cell in dict.fromkeys(cell for (_, _, cell), _ in found):
            # A cell of the release before is protected by hiding more of the new one around
            # the same cell (it exists in the new release too: the tables are the same).
            if not state.hide_beside(cell):
                log.warning("release: no cell left to hide beside an exposed one")
        state.complete_lines()
    status = {}
    for cell, count in counts.items():
        if unpublished(cell):
            continue
        if cell not in state.hidden:
            status[cell] = Status.SHOWN
        else:
            status[cell] = Status.SMALL if too_small(count) else Status.SECONDARY
    return Decision(status, rounds, attacked)
