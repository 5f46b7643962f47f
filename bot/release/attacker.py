"""How far can someone holding the published figures narrow down a hidden count?

The attacker knows every published cell of one or more releases and solves for the counts
behind them: every respondent is an unknown in a cross-classification by area, age, language
and one question, each published cell is a linear equation over it, counts are whole numbers
of at least zero, and the largest value a hidden cell can take is found by integer
programming (HiGHS, through SciPy). A hidden count of 1 to 4 is protected only if the cell could
just as well hold 5 or more.

Questions are attacked one at a time, each together with the groupings (a "block"): tables of
two different questions share only the grouping cells, which every block holds. Over several
releases every release adds a population of its own (those who came since the one before);
a later release's cells count all populations up to it.

A question shown only to some (``show_if``) ties two blocks, and the attacker knows the rule, as
anyone reading the survey does: in every group, its "not asked" are exactly those whose answer
to the question it depends on routes them past it. Where one side of that equality is published
it becomes an equation (or, if only partly published, a lower bound) in the other side's block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array

from bot.release.tables import COMPLETED_ONLY, LANGUAGE, NOT, NOT_ASKED, Dimension, Route, Selector, Where

SAFE = 5
# A solve cut short by this limit counts only the solution it found: if that holds SAFE or
# more the cell is safe, otherwise it is taken as exposed.
TIME_LIMIT = 20.0


class Inconsistent(ValueError):
    """No counts fit every published cell: the releases do not describe one growing set of
    responses (some were deleted between them)."""


@dataclass(frozen=True, slots=True)
class Published:
    """One release as the attacker sees it: its dimensions and its shown cells."""

    dimensions: Mapping[str, Dimension]
    shown: Mapping[Where, int]


def _domain(releases: Sequence[Published], name: str) -> list[str | None]:
    raw: dict[str | None, None] = {}
    for release in releases:
        dimension = release.dimensions[name]
        for code in dimension.codes:
            raw.update(dict.fromkeys(sorted(dimension.members(code))))
    return [*raw, None]


class Block:
    """The unknowns of one question crossed with the groupings, for each population."""

    def __init__(
        self,
        releases: Sequence[Published],
        groupings: Sequence[str],
        question: str | None,
        route: Route | None = None,
    ) -> None:
        self.releases = releases
        # With a route, the question it depends on is crossed in like a grouping (the last).
        self.route = route
        self.groupings = (*groupings, route.source) if route else tuple(groupings)
        groupings = self.groupings
        self.question = question
        last = releases[-1].dimensions
        self.multiple = question is not None and last[question].multiple
        self.domains = {name: _domain(releases, name) for name in groupings}
        self.groups = list(product(*(self.domains[name] for name in groupings)))
        if question is None:
            self.parts: list[object] = ["all"]
        elif self.multiple:
            self.options = list(last[question].codes)
            self.parts = ["none", "answered", *(("ticked", code) for code in self.options)]
        else:
            self.parts = _domain(releases, question)  # type: ignore[assignment]
        self.width = len(self.groups) * len(self.parts)
        self.size = self.width * len(releases)

    def _variable(self, period: int, group: int, part: int) -> int:
        return period * self.width + group * len(self.parts) + part

    def _groups_matching(self, release: Published, cell: Where) -> list[int]:
        wanted = dict(cell)
        out = []
        for index, group in enumerate(self.groups):
            ok = True
            for name, value in zip(self.groupings, group, strict=True):
                if name not in wanted:
                    continue
                selector = wanted[name]
                if selector is None:
                    ok = value is None
                elif isinstance(selector, str):
                    ok = value is not None and value in release.dimensions[name].members(selector)
                else:
                    ok = value in selector
                if not ok:
                    break
            if ok:
                out.append(index)
        return out

    def _part_terms(self, release: Published, cell: Where) -> list[tuple[int, float]]:
        if self.question is None:
            return [(0, 1.0)]
        selector_present = any(name == self.question for name, _ in cell)
        selector = dict(cell).get(self.question) if selector_present else None
        if self.multiple:
            index = {part: i for i, part in enumerate(self.parts)}
            if not selector_present:
                return [(index["none"], 1.0), (index["answered"], 1.0)]
            if selector is None:
                return [(index["none"], 1.0)]
            assert isinstance(selector, str)
            if selector.startswith(NOT):
                return [(index["answered"], 1.0), (index[("ticked", selector[1:])], -1.0)]
            return [(index[("ticked", selector)], 1.0)]
        if not selector_present:
            return [(i, 1.0) for i in range(len(self.parts))]
        if selector is None:
            return [(len(self.parts) - 1, 1.0)]
        codes = (
            release.dimensions[self.question].members(selector)
            if isinstance(selector, str)
            else set(selector)
        )
        return [(i, 1.0) for i, part in enumerate(self.parts) if part in codes]

    def holds(self, cell: Where) -> bool:
        """Whether ``cell`` counts completed responses by this block's dimensions only (the
        unknowns are completed responses; the one table of completion is a single sum, which
        the line rule protects on its own)."""
        if not set(COMPLETED_ONLY) <= set(cell):
            return False
        names = {name for name, _ in _inner(cell)}
        allowed = set(self.groupings) | ({self.question} if self.question else set())
        return names <= allowed

    def row(self, release_index: int, cell: Where) -> dict[int, float]:
        """The cell of release ``release_index`` as coefficients over the unknowns."""
        release = self.releases[release_index]
        cell = _inner(cell)
        terms = self._part_terms(release, cell)
        coefficients: dict[int, float] = {}
        for group in self._groups_matching(release, cell):
            for period in range(release_index + 1):
                for part, weight in terms:
                    coefficients[self._variable(period, group, part)] = weight
        return coefficients

    def impossible(self) -> list[int]:
        """Unknowns the routing rule keeps at zero: "not asked" where the answer to the source
        shows the question (or the source was skipped), any other answer where it does not."""
        route = self.route
        if route is None:
            return []
        zero = []
        for group_index, group in enumerate(self.groups):
            source = group[-1]
            asked = source is None or source in route.any_of
            for part_index, part in enumerate(self.parts):
                if part == "answered":
                    continue  # where not asked it equals "ticked not asked", which is free
                if self.multiple:
                    keep = (part != ("ticked", NOT_ASKED)) if asked else part == ("ticked", NOT_ASKED)
                else:
                    keep = part != NOT_ASKED if asked else part == NOT_ASKED
                if not keep:
                    for period in range(len(self.releases)):
                        zero.append(self._variable(period, group_index, part_index))
        return zero

    def structure(self) -> list[tuple[dict[int, float], float, float]]:
        """What holds whatever was published, for a multiple-choice question: no option is
        ticked by more than answered; an exclusive option ("don't know") and any other are
        together ticked by no more than answered; and where every answer ticks something,
        those who answered ticked at least one."""
        if not self.multiple:
            return []
        dimension = self.releases[-1].dimensions[self.question]  # type: ignore[index]
        index = {part: i for i, part in enumerate(self.parts)}
        rows = []
        for period in range(len(self.releases)):
            for group in range(len(self.groups)):
                answered = self._variable(period, group, index["answered"])
                ticked = {
                    code: self._variable(period, group, index[("ticked", code)]) for code in self.options
                }
                if dimension.at_least_one:
                    rows.append(({answered: 1.0, **dict.fromkeys(ticked.values(), -1.0)}, -np.inf, 0.0))
                for code, variable in ticked.items():
                    rows.append(({variable: 1.0, answered: -1.0}, -np.inf, 0.0))
                    if code in dimension.exclusive:
                        for other, other_variable in ticked.items():
                            if other != code:
                                rows.append(
                                    ({variable: 1.0, other_variable: 1.0, answered: -1.0}, -np.inf, 0.0)
                                )
        return rows


def _inner(cell: Where) -> Where:
    return tuple(pair for pair in cell if pair not in COMPLETED_ONLY)


def _stack(top: csr_array, bottom: csr_array) -> csr_array:
    from scipy.sparse import vstack

    return csr_array(vstack([top, bottom], format="csr"))


def _matrix(rows: Sequence[Mapping[int, float]], width: int) -> csr_array:
    data, row_index, column_index = [], [], []
    for number, row in enumerate(rows):
        for column, value in row.items():
            row_index.append(number)
            column_index.append(column)
            data.append(value)
    return coo_array((data, (row_index, column_index)), shape=(len(rows), width)).tocsr()


def _completed_total(release: Published) -> int | None:
    """The number of completed responses, shown or else worked out from the table of
    completion (those who consented less those who did not complete)."""
    if COMPLETED_ONLY in release.shown:
        return release.shown[COMPLETED_ONLY]
    consented = release.shown.get(())
    name = COMPLETED_ONLY[0][0]
    rest = [c for c in release.shown if len(c) == 1 and c[0][0] == name and c != COMPLETED_ONLY]
    if consented is None or len(rest) < len(release.dimensions[name].codes):
        return None
    return consented - sum(release.shown[cell] for cell in rest)


def group_floors(
    releases: Sequence[Published], questions: Sequence[str | None]
) -> dict[tuple[int, Where], int]:
    """Lower bounds on hidden cells over the groupings alone, from other questions' tables: a
    group holds at least those of it who gave any shown answer to a single-choice question
    (the answers part it), and at least as many as ticked one option of a multiple-choice one.
    One block sees only its own question; these carry what the others show into it."""
    floors: dict[tuple[int, Where], int] = {}
    names = {question for question in questions if question is not None}
    for index, release in enumerate(releases):
        sums: dict[tuple[Where, str], int] = {}
        for cell, value in release.shown.items():
            for name, selector in cell:
                if name not in names or isinstance(selector, tuple):
                    continue
                group = tuple(pair for pair in cell if pair[0] != name)
                if group in release.shown:
                    continue
                dimension = release.dimensions[name]
                if dimension.multiple:
                    if not (isinstance(selector, str) and selector.startswith(NOT)):
                        floors[(index, group)] = max(floors.get((index, group), 0), value)
                else:
                    sums[(group, name)] = sums.get((group, name), 0) + value
        for (group, _), value in sums.items():
            floors[(index, group)] = max(floors.get((index, group), 0), value)
    return floors


class Attack:
    """All that the published cells of ``releases`` say about one block."""

    def __init__(
        self,
        block: Block,
        floors: Mapping[tuple[int, Where], int] | None = None,
        routed: Sequence[tuple[Mapping[int, float], float, float]] | None = None,
    ) -> None:
        self.block = block
        rows: list[Mapping[int, float]] = []
        lower: list[float] = []
        upper: list[float] = []
        for index, release in enumerate(block.releases):
            for cell, value in release.shown.items():
                if block.holds(cell):
                    rows.append(block.row(index, cell))
                    lower.append(value)
                    upper.append(value)
            completed = _completed_total(release)
            if COMPLETED_ONLY not in release.shown and completed is not None:
                rows.append(block.row(index, COMPLETED_ONLY))
                lower.append(completed)
                upper.append(completed)
        for (index, cell), floor in (floors or {}).items():
            if block.holds(cell):
                rows.append(block.row(index, cell))
                lower.append(floor)
                upper.append(np.inf)
        for row, low, high in [*block.structure(), *(routed or ())]:
            rows.append(row)
            lower.append(low)
            upper.append(high)
        self.constraint = LinearConstraint(_matrix(rows, block.size), np.array(lower), np.array(upper))
        self.upper = np.full(block.size, np.inf)
        self.upper[block.impossible()] = 0.0
        self.witnesses: list[np.ndarray] = []

    def largest(self, release_index: int, cell: Where) -> float:
        """The largest count the hidden ``cell`` of release ``release_index`` can hold."""
        objective = np.zeros(self.block.size)
        for column, value in self.block.row(release_index, cell).items():
            objective[column] = -value
        result = milp(
            objective,
            constraints=self.constraint,
            integrality=np.ones(self.block.size),
            bounds=Bounds(0, self.upper),
            options={"time_limit": TIME_LIMIT, "presolve": True},
        )
        if result.status == 3:  # unbounded
            return np.inf
        if result.status == 2:
            raise Inconsistent("the published cells contradict each other")
        if result.x is None:
            # Nothing found in time: the cell cannot be shown to be safe.
            return 0.0
        # Optimal, or the best whole-number solution found in time: the cell can hold at least
        # this much, which is what protection needs to show.
        self.witnesses.append(result.x)
        return float(-result.fun)

    def _value(self, x: np.ndarray, release_index: int, cell: Where) -> float:
        return float(sum(x[column] * value for column, value in self.block.row(release_index, cell).items()))

    def _together(self, targets: Sequence[tuple[int, Where]]) -> np.ndarray | None:
        """One whole-number solution that lifts as many ``targets`` as it can to ``SAFE``: each
        target's gain is capped there, so one large cell cannot buy the objective alone."""
        size = self.block.size
        width = size + len(targets)
        extra_rows = []
        for number, (index, cell) in enumerate(targets):
            row = {column: -value for column, value in self.block.row(index, cell).items()}
            row[size + number] = 1.0
            extra_rows.append(row)
        base = self.constraint.A
        padded = coo_array(base).tocsr()
        padded.resize((base.shape[0], width))
        matrix = _stack(padded, _matrix(extra_rows, width))
        lower = np.concatenate([self.constraint.lb, np.full(len(targets), -np.inf)])
        upper = np.concatenate([self.constraint.ub, np.zeros(len(targets))])
        objective = np.concatenate([np.zeros(size), -np.ones(len(targets))])
        result = milp(
            objective,
            constraints=LinearConstraint(matrix, lower, upper),
            integrality=np.concatenate([np.ones(size), np.zeros(len(targets))]),
            bounds=Bounds(0, np.concatenate([self.upper, np.full(len(targets), SAFE)])),
            options={"time_limit": TIME_LIMIT, "presolve": True},
        )
        if result.status == 2:
            raise Inconsistent("the published cells contradict each other")
        return None if result.x is None else result.x[:size]

    def bounds(self, targets: Sequence[tuple[int, Where]]) -> dict[tuple[int, Where], float]:
        """For each target cell, a count it can hold of at least ``SAFE`` (shown by a whole-number
        solution that fits everything published), or else the largest it can hold."""
        found: dict[tuple[int, Where], float] = {}

        def settle(x: np.ndarray) -> None:
            for target in targets:
                if target not in found and (value := self._value(x, *target)) >= SAFE - 1e-6:
                    found[target] = value

        if len(targets) > 1 and (x := self._together(targets)) is not None:
            settle(x)
        for target in targets:
            if target in found:
                continue
            found[target] = self.largest(*target)
            settle(self.witnesses[-1]) if self.witnesses else None
        return found


Target = tuple[str | None, int, Where]  # (the block's question, release index, cell)


def _with(cell: Where, name: str, selector: Selector) -> Where:
    return tuple(sorted((*cell, (name, selector))))


def route_rows(block: Block, routes: Mapping[str, Route]) -> list[tuple[dict[int, float], float, float]]:
    """What the routing rules say about ``block``. Per rule (a source question and its codes)
    and group, one count: those the rule routes past, which is the source's routed-past cells
    added up and also the "not asked" of every question routed by that rule. Where any of these
    is published, the others in this block get it as an equation; where only some of the
    source's cells are, as a lower bound."""
    rows: list[tuple[dict[int, float], float, float]] = []
    rules: dict[Route, list[str]] = {}
    for question, route in routes.items():
        rules.setdefault(route, []).append(question)
    for route, members in rules.items():
        if block.question not in (*members, route.source):
            continue
        for index, release in enumerate(block.releases):
            routed = [
                q for q in members if q in release.dimensions and NOT_ASKED in release.dimensions[q].codes
            ]
            if not routed:
                continue
            outside = [c for c in release.dimensions[route.source].codes if c not in route.any_of]
            groups: set[Where] = set()
            for cell in release.shown:
                for name, selector in cell:
                    if (name == route.source and selector in outside) or (
                        name in routed and selector == NOT_ASKED
                    ):
                        groups.add(tuple(pair for pair in cell if pair[0] != name))
            for group in groups:
                routed_past = [_with(group, route.source, code) for code in outside]
                not_asked = {q: _with(group, q, NOT_ASKED) for q in routed}
                exact = next((release.shown[c] for c in not_asked.values() if c in release.shown), None)
                shown_past = [release.shown[c] for c in routed_past if c in release.shown]
                if exact is None and len(shown_past) == len(routed_past):
                    exact = sum(shown_past)
                if exact is not None:
                    low, high = float(exact), float(exact)
                elif shown_past:
                    low, high = float(sum(shown_past)), np.inf
                else:
                    continue
                if block.question in not_asked and block.holds(not_asked[block.question]):
                    rows.append((block.row(index, not_asked[block.question]), low, high))
                if block.question == route.source and all(block.holds(c) for c in routed_past):
                    combined: dict[int, float] = {}
                    for cell in routed_past:
                        for column, value in block.row(index, cell).items():
                            combined[column] = combined.get(column, 0.0) + value
                    rows.append((combined, low, high))
    return rows


def exposed(
    releases: Sequence[Published],
    groupings: Sequence[str],
    questions: Sequence[str | None],
    at_risk: Mapping[int, Mapping[Where, int]],
    only: set[Target] | None = None,
    routes: Mapping[str, Route] | None = None,
) -> list[tuple[Target, float]]:
    """The hidden cells with a true count of 1 to 4 (``at_risk``: per release index, cell to
    true count) that the published cells of some block pin below ``SAFE``, with the bound.

    ``only`` limits the work to these (block, cell) pairs: hiding more cells only takes
    equations away, so a pair found safe stays safe and need not be tried again.
    """
    found: list[tuple[Target, float]] = []
    routes = routes or {}
    # The routed blocks below hold one grouping only: the others' tables reach them as floors.
    floors = group_floors(releases, [*questions, *groupings])
    blocks: list[tuple[str | None, Block]] = [
        (question, Block(releases, groupings, question)) for question in questions
    ]
    # A routed question and the one it depends on, exactly, by one grouping at a time: the
    # whole cross-classification with both would be too large to solve often.
    for question, route in routes.items():
        if question in questions:
            for grouping in groupings:
                name = f"{question}|{route.source}|{grouping}"
                blocks.append((name, Block(releases, (grouping,), question, route)))
    for label, block in blocks:
        targets = [
            (label, index, cell)
            for index, cells in at_risk.items()
            for cell in cells
            if block.holds(cell) and (only is None or (label, index, cell) in only)
        ]
        if not targets:
            continue
        attack = Attack(block, floors, route_rows(block, routes))
        bounds = attack.bounds([(index, cell) for _, index, cell in targets])
        for target in targets:
            bound = bounds[(target[1], target[2])]
            if bound < SAFE - 1e-6:
                found.append((target, bound))
    return found


__all__ = ["LANGUAGE", "SAFE", "Attack", "Block", "Inconsistent", "Published", "Target", "exposed"]
