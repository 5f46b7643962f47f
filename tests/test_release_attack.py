"""An outside attacker against the protected release, written from the auditor's file alone.

The attacker reads ``release.to_json()`` (and, for two releases in a row, both files), sets up
one integer unknown per possible kind of respondent, writes every shown count and the published
number of completed responses as an equation over them, and then maximises each hidden cell
whose true count is 1-4. If the largest value any population consistent with the file gives
that cell is below 5, an outsider has learnt that the cell is small: the protection failed.
The same goes for the cells no table shows but anyone can work out, "answered a multiple-
choice question without ticking c" (the group minus those who ticked c minus those who did
not answer), which the release means to protect like the shown ones.

The joint space: for every completed respondent, the raw language (or none) x each
single-choice answer (or none) x each multiple-choice answer (none, or a set of ticked codes
allowed by the question: an exclusive code only alone). The story dimensions ("story",
"themes") only ever appear in one-way tables, so they get a block of their own, language x
story x themes, tied to the main block by the number of respondents of each language: that is
exact (no published cell crosses them with anything else) and keeps the space a few thousand
unknowns instead of tens of thousands. Respondents who did not complete appear only in the
consented table, as one unknown per value of "completed" other than "yes".

The true counts are worked out here from the generated rows, not taken from the release.
"""

from __future__ import annotations

import copy
import math
import random
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations, product
from typing import Any

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity, vstack

from bot.release.model import Release
from bot.release.service import compute
from bot.survey.definition import Survey
from storage.models import ReleaseRow

SMALL = range(1, 5)
NOT_ASKED = "not_asked"
SAFE = 5  # a hidden small cell must be able to reach this
COMPLETED = "completed"
LANGUAGE = "language"
# Dimensions that only appear in one-way tables: modelled in their own block (see above).
SIDE = ("story", "themes")
THEMES = ("waiting", "language")
LANGUAGES = ("sv", "en", "ar", "so", "tr", "fa")
# Per maximisation. A time-out that found a population giving the cell >= 5 still counts as
# safe; one that found none counts as a failure.
TIME_LIMIT = 20.0

SURVEY = Survey.model_validate(
    {
        "id": "attack",
        "version": "1",
        "consent_version": "1",
        "groupings": ["area", "age"],
        "headlines": [{"id": "trusting", "question": "trust", "options": ["yes", "sometimes"]}],
        "questions": [
            {"id": "area", "kind": "single", "options": [{"code": c} for c in ("north", "centre", "south")]},
            {"id": "age", "kind": "single", "options": [{"code": c} for c in ("young", "old")]},
            {"id": "trust", "kind": "single", "options": [{"code": c} for c in ("yes", "sometimes", "no")]},
            {
                "id": "help",
                "kind": "multi",
                "options": [{"code": "papers"}, {"code": "phone"}, {"code": "none", "exclusive": True}],
                # Routed: those who answer "no" to trust are not asked (a category of its own).
                "show_if": {"question": "trust", "any_of": ["yes", "sometimes"]},
            },
            {"id": "story", "kind": "free_text"},
        ],
    }
)
MADE_AT = datetime(2026, 3, 1, 12, tzinfo=UTC)

# A respondent's answer in one dimension: a raw code (single choice), the set of ticked codes
# (multiple choice), or None for no answer.
Value = str | frozenset[str] | None
Selector = str | None | tuple[str, ...]
Pairs = tuple[tuple[str, Selector], ...]


# -- reading the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """One dimension as the file describes it."""

    multiple: bool
    codes: tuple[str, ...]
    merged: Mapping[str, frozenset[str]]
    at_least_one: bool
    exclusive: frozenset[str]

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> Dim:
        return cls(
            bool(entry["multiple"]),
            tuple(entry["codes"]),
            {code: frozenset(members) for code, members in entry.get("merged", {}).items()},
            bool(entry.get("at_least_one", True)),
            frozenset(entry.get("exclusive", ())),
        )

    def released(self, raw: str) -> str | None:
        """The released code a raw code is counted under (None: one the release does not know)."""
        for code, members in self.merged.items():
            if raw in members:
                return code
        return raw if raw in self.codes else None

    def values(self) -> list[Value]:
        """Every answer a respondent could have given in this dimension."""
        if not self.multiple:
            raw = [code for code in self.codes if code not in self.merged]
            raw += sorted(set().union(*self.merged.values())) if self.merged else []
            return [*raw, None]
        plain = [code for code in self.codes if code not in self.exclusive]
        answers: list[Value] = [None]
        if not self.at_least_one:
            answers.append(frozenset())
        for size in range(1, len(plain) + 1):
            answers.extend(frozenset(chosen) for chosen in combinations(plain, size))
        answers.extend(frozenset((code,)) for code in self.codes if code in self.exclusive)
        return answers

    def matches(self, value: Value, selector: Selector) -> bool:
        """Whether an answer is counted by a cell's selector (a list: any of these codes)."""
        if value is None:
            return selector is None
        if isinstance(value, frozenset):  # multiple choice: a code means "ticked it"
            return selector is not None and bool(value & _codes(selector))
        released = self.released(value)
        return released is None if selector is None else released in _codes(selector)


def _codes(selector: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset((selector,)) if isinstance(selector, str) else frozenset(selector)


def pairs_of(where: Mapping[str, Any], universe: str) -> Pairs:
    """A cell's restrictions, the implicit "completed" of a completed-universe table included."""
    pairs = {name: tuple(value) if isinstance(value, list) else value for name, value in where.items()}
    if universe == "completed":
        pairs.setdefault(COMPLETED, "yes")
    return tuple(sorted(pairs.items()))


@dataclass(frozen=True)
class Cell:
    release: int
    table: str
    pairs: Pairs
    n: int | None  # None: hidden
    status: str  # "shown", "small" or "secondary"
    # A cell no table publishes: "answered <dimension> without ticking <code>", worked out as
    # the group minus those who ticked minus those who did not answer.
    not_ticked: tuple[str, str] | None = None

    def label(self) -> str:
        shown = dict(self.pairs)
        if self.not_ticked:
            shown[self.not_ticked[0]] = "!" + self.not_ticked[1]
        return f"release {self.release + 1} {self.table} {shown} ({self.status})"


def cells_of(release: int, data: Mapping[str, Any]) -> list[Cell]:
    cells = []
    for table in data["tables"]:
        for entry in table["cells"]:
            n = entry.get("n")
            status = "shown" if n is not None else entry["suppressed"]
            cells.append(Cell(release, table["id"], pairs_of(entry["where"], table["universe"]), n, status))
    return cells


def not_ticked_cells(release: int, data: Mapping[str, Any]) -> list[Cell]:
    """For every published "ticked c" cell, its "answered without ticking c" counterpart."""
    dims = {name: Dim.parse(entry) for name, entry in data["dimensions"].items()}
    seen: dict[tuple[Pairs, str, str], Cell] = {}
    for cell in cells_of(release, data):
        for name, selector in cell.pairs:
            if dims[name].multiple and isinstance(selector, str):
                rest = tuple(pair for pair in cell.pairs if pair[0] != name)
                key = (rest, name, selector)
                seen.setdefault(key, Cell(release, cell.table, rest, None, "derived", (name, selector)))
    return list(seen.values())


# -- the attacker --------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """How many respondents of one period had exactly these answers."""

    period: int
    block: str  # "main", "side" or "unfinished"
    values: Mapping[str, Value]


@dataclass
class Reach:
    """What the attacker found for one cell: the largest value seen and whether it is proven."""

    value: float | None  # None: no population consistent with the file was found at all
    proven: bool
    solved: bool  # False when a population found for an earlier cell already reached SAFE


@dataclass
class Attacker:
    """Release ``r`` counts the respondents of periods 0..r: one file per release, in order."""

    files: Sequence[Mapping[str, Any]]
    unknowns: list[Unknown] = field(init=False)
    witnesses: list[np.ndarray] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.dims = [
            {name: Dim.parse(entry) for name, entry in data["dimensions"].items()} for data in self.files
        ]
        self.unknowns = list(self._space())
        self._masks: dict[tuple[int, str, Selector], np.ndarray] = {}
        self._period = np.array([unknown.period for unknown in self.unknowns])
        self._side = np.array([unknown.block == "side" for unknown in self.unknowns])
        rows, rhs = self._equations()
        self.matrix = np.array(rows, dtype=float)
        self.rhs = np.array(rhs, dtype=float)
        self._constraint = LinearConstraint(csr_matrix(self.matrix), self.rhs, self.rhs)

    def _space(self) -> Iterator[Unknown]:
        for period, dims in enumerate(self.dims):
            # A release's language dimension lists every language its completed respondents
            # used, so those of period p used one the p-th release knows. (Those who had not
            # completed by release p stay so: the rows of a period do not change here.)
            main = [name for name in dims if name != COMPLETED and name not in SIDE]
            for block, names in (("main", main), ("side", [LANGUAGE, *SIDE])):
                choices = [dims[name].values() for name in names]
                for combination in product(*choices):
                    values = dict(zip(names, combination, strict=True))
                    if block == "main" and not routing_allows(values):
                        continue
                    yield Unknown(period, block, {COMPLETED: "yes", **values})
            for value in dims[COMPLETED].values():
                if value != "yes":
                    yield Unknown(period, "unfinished", {COMPLETED: value})

    def _mask(self, release: int, name: str, selector: Selector) -> np.ndarray:
        key = (release, name, selector)
        if key not in self._masks:
            dim = self.dims[release][name]
            self._masks[key] = np.array(
                [name in u.values and dim.matches(u.values[name], selector) for u in self.unknowns]
            )
        return self._masks[key]

    def expression(self, release: int, pairs: Pairs) -> np.ndarray:
        """The coefficients that make a cell of ``release`` out of the unknowns."""
        side = any(name in SIDE for name, _ in pairs)
        mask = (self._period <= release) & (self._side == side)
        for name, selector in pairs:
            mask &= self._mask(release, name, selector)
        return mask.astype(float)

    def cell_expression(self, cell: Cell) -> np.ndarray:
        whole = self.expression(cell.release, cell.pairs)
        if cell.not_ticked is None:
            return whole
        name, code = cell.not_ticked
        ticked = self.expression(cell.release, tuple(sorted((*cell.pairs, (name, code)))))
        unanswered = self.expression(cell.release, tuple(sorted((*cell.pairs, (name, None)))))
        return whole - ticked - unanswered

    def _equations(self) -> tuple[list[np.ndarray], list[int]]:
        rows: list[np.ndarray] = []
        rhs: list[int] = []
        for release, data in enumerate(self.files):
            for cell in cells_of(release, data):
                if cell.n is not None:
                    rows.append(self.expression(release, cell.pairs))
                    rhs.append(cell.n)
            # The number of completed responses is in the file only as its cell, where shown.
            assert "completed" not in data
        # Each respondent has one language: the side block has as many of each as the main one.
        for period, dims in enumerate(self.dims):
            for language in dims[LANGUAGE].values():
                tie = np.zeros(len(self.unknowns))
                for index, unknown in enumerate(self.unknowns):
                    if unknown.period == period and unknown.block != "unfinished":
                        if unknown.values[LANGUAGE] == language:
                            tie[index] = 1.0 if unknown.block == "main" else -1.0
                rows.append(tie)
                rhs.append(0)
        return rows, rhs

    def cover(self, objectives: Sequence[np.ndarray]) -> int:
        """Populations that give many cells SAFE at once, for ``reach`` to reuse; the solves made.

        Any population consistent with the file that gives a cell SAFE or more shows that the
        attacker cannot pin it below SAFE. One solve maximising the sum of min(cell, SAFE) over
        the cells not yet reached finds one for many cells at a time (a few seconds instead
        of a second per cell); the cells it leaves are maximised one by one."""
        left = [objective for objective in objectives if self._witness(objective) is None]
        solves = 0
        while left:
            m, shape = len(left), self.matrix.shape
            # Unknowns, then one y per cell: y <= cell, 0 <= y <= SAFE; maximise the sum of y.
            matrix = vstack(
                [
                    hstack([csr_matrix(self.matrix), csr_matrix((shape[0], m))]),
                    hstack([-csr_matrix(np.array(left)), identity(m)]),
                ]
            )
            result = milp(
                np.concatenate([np.zeros(shape[1]), -np.ones(m)]),
                integrality=np.concatenate([np.ones(shape[1]), np.zeros(m)]),
                bounds=Bounds(0, np.concatenate([np.full(shape[1], np.inf), np.full(m, SAFE)])),
                constraints=LinearConstraint(
                    matrix,
                    np.concatenate([self.rhs, np.full(m, -np.inf)]),
                    np.concatenate([self.rhs, np.zeros(m)]),
                ),
                options={"time_limit": TIME_LIMIT, "mip_rel_gap": 0.05},
            )
            solves += 1
            if result.x is None or not self._keep(np.round(result.x[: shape[1]])):
                break
            still = [objective for objective in left if self._witness(objective) is None]
            if len(still) == len(left):
                break
            left = still
        return solves

    def reach(self, objective: np.ndarray) -> Reach:
        """The largest value the cell can take, or a population showing it reaches SAFE."""
        if (witness := self._witness(objective)) is not None:
            return Reach(float(objective @ witness), proven=False, solved=False)
        # First a quick solve that stops at any population within a factor 2 of the bound (closing
        # the gap is most of the work); only if that falls short of SAFE, the exact maximum.
        result = self._solve(objective, gap=1.0)
        if result.x is None or objective @ np.round(result.x) < SAFE:
            result = self._solve(objective)
        if result.x is None and result.status in (3, 4) and self._solve(0 * objective).x is not None:
            # HiGHS may say "infeasible or unbounded": with a population consistent with the
            # file, it is unbounded, so the file does not limit the cell at all.
            return Reach(math.inf, proven=True, solved=True)
        if result.x is None:
            return Reach(None, proven=False, solved=True)
        solution = np.round(result.x)
        self._keep(solution)
        return Reach(float(objective @ solution), proven=result.status == 0, solved=True)

    def _witness(self, objective: np.ndarray) -> np.ndarray | None:
        return next((witness for witness in self.witnesses if objective @ witness >= SAFE), None)

    def _keep(self, solution: np.ndarray) -> bool:
        """Keeps a population for reuse if it is exactly consistent with the file."""
        exact = bool(solution.min() >= 0 and np.array_equal(self.matrix @ solution, self.rhs))
        if exact:
            self.witnesses.append(solution)
        return exact

    def _solve(self, objective: np.ndarray, gap: float = 1e-4) -> Any:
        return milp(
            -objective,
            integrality=np.ones(len(self.unknowns)),
            bounds=Bounds(0, np.inf),
            constraints=self._constraint,
            options={"time_limit": TIME_LIMIT, "mip_rel_gap": gap},
        )


# -- the true population -------------------------------------------------------------------


def asked(question_id: str, values: Mapping[str, Value]) -> bool:
    """The survey's routing, which anyone can read in its definition: a routed question is asked
    when the answer it depends on is one of its codes, or was not given."""
    question = SURVEY.question(question_id)
    assert question is not None
    if question.show_if is None:
        return True
    source = values.get(question.show_if.question)
    return source is None or source in question.show_if.any_of


def routing_allows(values: Mapping[str, Value]) -> bool:
    """Whether a kind of respondent is possible: exactly those routed past a question are its
    "not asked"."""
    for question in SURVEY.choice_questions():
        if question.show_if is None or question.id not in values:
            continue
        value = values[question.id]
        not_asked = value == NOT_ASKED or value == frozenset((NOT_ASKED,))
        if not_asked == asked(question.id, values):
            return False
    return True


def answers(row: ReleaseRow) -> dict[str, Value]:
    """A respondent's answers per dimension, as the survey defines them."""
    values: dict[str, Value] = {COMPLETED: "yes" if row.completed else "no", LANGUAGE: row.language}
    for question in SURVEY.choice_questions():
        codes = row.answers.get(question.id)
        if question.id not in row.answers and not asked(question.id, values):
            values[question.id] = frozenset((NOT_ASKED,)) if question.kind == "multi" else NOT_ASKED
        elif not codes:
            values[question.id] = None
        elif question.kind == "multi":
            values[question.id] = frozenset(codes)
        else:
            (values[question.id],) = codes
    kinds = {"written"} if row.written_story else set()
    if row.voice_story:
        kinds.add("voice")
    values["story"] = frozenset(kinds) or None
    values["themes"] = frozenset(row.themes) if row.written_story else None  # no story, no themes
    return values


def true_count(rows: Sequence[ReleaseRow], dims: Mapping[str, Dim], cell: Cell) -> int:
    """Counted straight from the rows, not from the unknowns."""

    def counted(values: Mapping[str, Value], pairs: Pairs) -> bool:
        return all(dims[name].matches(values[name], selector) for name, selector in pairs)

    total = 0
    for row in rows:
        values = answers(row)
        if cell.not_ticked is None:
            total += counted(values, cell.pairs)
        else:
            name, code = cell.not_ticked
            answered = values[name]
            total += counted(values, cell.pairs) and answered is not None and code not in answered
    return total


def _key(values: Mapping[str, Value]) -> tuple[tuple[str, Value], ...]:
    return tuple(sorted(values.items(), key=lambda item: item[0]))


def solution_of(attacker: Attacker, periods: Sequence[Sequence[ReleaseRow]]) -> np.ndarray:
    """The unknowns as they truly are: a self-check of the attacker's equations."""
    index = {(u.period, u.block, _key(u.values)): i for i, u in enumerate(attacker.unknowns)}
    names = {(u.period, u.block): tuple(u.values) for u in attacker.unknowns}
    truth = np.zeros(len(attacker.unknowns))
    for period, rows in enumerate(periods):
        for row in rows:
            values = answers(row)
            if not row.completed:
                truth[index[(period, "unfinished", ((COMPLETED, "no"),))]] += 1
                continue
            for block in ("main", "side"):
                mine = _key({name: values[name] for name in names[(period, block)]})
                truth[index[(period, block, mine)]] += 1
    return truth


# -- generated databases -------------------------------------------------------------------


def generate(seed: int) -> list[ReleaseRow]:
    """A random database: its size, languages, answer weights and skipping all drawn from the seed."""
    rng = random.Random(seed)
    # Log-uniform: small surveys (where most cells are small) as often as large ones.
    size = round(math.exp(rng.uniform(math.log(20), math.log(400))))
    if rng.random() < 0.35:  # one dominant language, a few stragglers
        languages = list(LANGUAGES[: rng.randint(2, 5)])
        language_weights = [0.9, *([0.1 / (len(languages) - 1)] * (len(languages) - 1))]
    else:
        languages = rng.sample(LANGUAGES, rng.randint(1, 5))
        language_weights = [rng.random() + 0.05 for _ in languages]
    no_language = rng.choice((0.0, 0.0, 0.02))
    skip = rng.choice((0.0, 0.05, 0.15, 0.4))
    unfinished = rng.uniform(0.0, 0.25)
    questions = SURVEY.choice_questions()
    weights = {q.id: [rng.random() ** 2 + 0.02 for _ in q.options] for q in questions}
    exclusive = rng.uniform(0.0, 0.3)
    written, voice = rng.uniform(0.0, 0.5), rng.uniform(0.0, 0.2)
    theme_odds = [rng.uniform(0.1, 0.6) for _ in THEMES]

    def answer(question_index: int) -> tuple[str, ...] | None:
        question = questions[question_index]
        if rng.random() < skip:
            return None
        codes = question.option_codes
        if question.kind == "single":
            return (rng.choices(codes, weights[question.id])[0],)
        plain = [o.code for o in question.options if not o.exclusive]
        if rng.random() < exclusive:
            return tuple(o.code for o in question.options if o.exclusive)
        ticked = tuple(c for c, w in zip(plain, weights[question.id], strict=False) if rng.random() < w + 0.2)
        return ticked or (rng.choice(plain),)

    rows = []
    for _ in range(size):
        language = None if rng.random() < no_language else rng.choices(languages, language_weights)[0]
        completed = rng.random() >= unfinished
        reached = len(questions) if completed else rng.randrange(len(questions))
        has_story = completed and rng.random() < written
        themes = tuple(t for t, p in zip(THEMES, theme_odds, strict=True) if has_story and rng.random() < p)
        given: dict[str, tuple[str, ...] | None] = {}
        for index, question in enumerate(questions):
            values = {name: codes[0] if codes else None for name, codes in given.items()}
            if index >= reached:
                given[question.id] = None
            elif asked(question.id, values):
                given[question.id] = answer(index)
            # else: routed past, so no answer is stored at all
        rows.append(
            ReleaseRow(
                language=language,
                completed=completed,
                answers=given,
                written_story=has_story,
                voice_story=completed and rng.random() < voice,
                themes=themes,
            )
        )
    return rows


def release_of(rows: Sequence[ReleaseRow], previous: Release | None = None) -> Release:
    return compute(
        SURVEY, rows, THEMES, made_at=MADE_AT, synthetic=True, period=(None, None), previous=previous
    )


# -- the checks ----------------------------------------------------------------------------


@dataclass
class Audit:
    failures: list[str] = field(default_factory=list)
    attacked: int = 0  # hidden cells of the files
    derived: int = 0  # "answered without ticking" cells
    solved: int = 0  # integer programmes solved
    pinned: list[tuple[str, float | None]] = field(default_factory=list)


def audit(files: Sequence[Mapping[str, Any]], periods: Sequence[Sequence[ReleaseRow]]) -> Audit:
    """Checks every file's counts against the rows, then attacks every hidden small cell."""
    result = Audit()
    attacker = Attacker(files)
    truth = solution_of(attacker, periods)
    off = np.flatnonzero(np.abs(attacker.matrix @ truth - attacker.rhs) > 0.5)
    assert not off.size, f"the attacker's equations do not hold for the true population: rows {off}"
    # A cell many tables repeat (a margin) is attacked once.
    targets: dict[tuple[int, Pairs, tuple[str, str] | None], tuple[Cell, int]] = {}
    for release, data in enumerate(files):
        rows = [row for rows in periods[: release + 1] for row in rows]
        dims = attacker.dims[release]
        for cell in cells_of(release, data):
            true = true_count(rows, dims, cell)
            if cell.n is not None and cell.n != true:
                result.failures.append(f"{cell.label()}: shows {cell.n}, truly {true}")
            if cell.n is not None and cell.n in SMALL:
                result.failures.append(f"{cell.label()}: shows a small count {cell.n}")
            if cell.status == "small" and true not in SMALL:
                result.failures.append(f"{cell.label()}: hidden as small, truly {true}")
            if cell.status == "secondary" and true in SMALL:
                result.failures.append(f"{cell.label()}: hidden as secondary, truly small ({true})")
            if cell.n is None and true in SMALL:
                targets.setdefault((release, cell.pairs, None), (cell, true))
        for cell in not_ticked_cells(release, data):
            true = true_count(rows, dims, cell)
            if true in SMALL:
                targets.setdefault((release, cell.pairs, cell.not_ticked), (cell, true))
    objectives = [attacker.cell_expression(cell) for cell, _ in targets.values()]
    for (cell, true), objective in zip(targets.values(), objectives, strict=True):
        assert objective @ truth == true, f"{cell.label()}: the attacker counts it wrongly"
    result.solved += attacker.cover(objectives)
    for (cell, true), objective in zip(targets.values(), objectives, strict=True):
        reach = attacker.reach(objective)
        if cell.not_ticked is None:
            result.attacked += 1
        else:
            result.derived += 1
        result.solved += reach.solved
        if reach.value is None:
            result.pinned.append((cell.label(), None))
            result.failures.append(f"{cell.label()}: truly {true}, the solver found no population")
        elif reach.value < SAFE:
            result.pinned.append((cell.label(), reach.value))
            result.failures.append(
                f"{cell.label()}: truly {true}, an outsider finds it is at most {reach.value:g}"
                + ("" if reach.proven else " (time limit: not proven)")
            )
    return result


STATS: dict[str, list[float]] = {"attacked": [], "derived": [], "solved": [], "seconds": []}


def _record(result: Audit, started: float) -> None:
    STATS["attacked"].append(result.attacked)
    STATS["derived"].append(result.derived)
    STATS["solved"].append(result.solved)
    STATS["seconds"].append(time.perf_counter() - started)


@pytest.mark.parametrize("seed", range(15))
def test_no_small_cell_of_one_release_can_be_pinned(seed: int) -> None:
    started = time.perf_counter()
    rows = generate(seed)
    release = release_of(rows)
    result = audit([release.to_json()], [rows])
    _record(result, started)
    assert not result.failures, "\n".join(result.failures)


@pytest.mark.parametrize("seed", range(100, 115))
def test_no_small_cell_of_two_releases_in_a_row_can_be_pinned(seed: int) -> None:
    started = time.perf_counter()
    rows = generate(seed)
    rng = random.Random(seed)
    # The second release counts at least ten more completed responses than the first.
    finished = [index for index, row in enumerate(rows) if row.completed]
    cut = finished[-rng.randint(10, max(10, len(finished) // 2))]
    first = release_of(rows[:cut])
    second = release_of(rows, previous=first)
    assert second.completed - first.completed >= 10
    result = audit([first.to_json(), second.to_json()], [rows[:cut], rows[cut:]])
    _record(result, started)
    assert not result.failures, "\n".join(result.failures)


# Two questions routed by one rule: their "not asked" are the same people in every group, so
# one shown where the other is hidden gives the hidden one away unless the audit knows it.
SAME_RULE = Survey.model_validate(
    {
        "id": "attack",
        "version": "1",
        "consent_version": "1",
        "groupings": ["area", "age"],
        "questions": [
            {"id": "area", "kind": "single", "options": [{"code": c} for c in ("north", "centre", "south")]},
            {"id": "age", "kind": "single", "options": [{"code": c} for c in ("young", "old")]},
            {"id": "trust", "kind": "single", "options": [{"code": c} for c in ("yes", "sometimes", "no")]},
            {
                "id": "wait",
                "kind": "single",
                "options": [{"code": c} for c in ("short", "long")],
                "show_if": {"question": "trust", "any_of": ["yes", "sometimes"]},
            },
            {
                "id": "trip",
                "kind": "single",
                "options": [{"code": c} for c in ("near", "far")],
                "show_if": {"question": "trust", "any_of": ["yes", "sometimes"]},
            },
            {"id": "story", "kind": "free_text"},
        ],
    }
)


@pytest.mark.parametrize("seed", range(10))
def test_questions_routed_by_one_rule_give_nothing_away(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "SURVEY", SAME_RULE)
    started = time.perf_counter()
    rows = generate(seed)
    result = audit([release_of(rows).to_json()], [rows])
    _record(result, started)
    assert not result.failures, "\n".join(result.failures)


@pytest.mark.parametrize("seed", range(4))
def test_the_attacker_pins_a_small_cell_once_a_tables_secondary_cells_are_shown(seed: int) -> None:
    """Negative control: the first table with both small and secondary cells, its secondary
    cells shown, gives a small cell away, and the attacker must notice (else the tests above
    prove nothing)."""
    rows = generate(seed)
    exposed = copy.deepcopy(release_of(rows).to_json())
    dims = {name: Dim.parse(entry) for name, entry in exposed["dimensions"].items()}
    table = next(
        table
        for table in exposed["tables"]
        if {"small", "secondary"} <= {entry.get("suppressed") for entry in table["cells"]}
    )
    for entry in table["cells"]:
        if entry.get("suppressed") == "secondary":
            cell = Cell(0, table["id"], pairs_of(entry["where"], table["universe"]), None, "secondary")
            entry["n"] = true_count(rows, dims, cell)
            del entry["suppressed"]
    result = audit([exposed], [rows])
    pinned = [label for label, _ in result.pinned if label.endswith("(small)")]
    assert pinned, (
        f"the attacker pinned no small cell although the secondary cells of {table['id']} were shown"
    )


def test_a_headline_does_not_give_away_the_rest_of_its_question() -> None:
    """Hand-made: 30 respondents, one of whom distrusts. The headline "yes or sometimes" (29)
    and the completed total (30, in the file outright) leave "no" + "no answer" = 1."""

    def row(trust: str) -> ReleaseRow:
        answers: dict[str, tuple[str, ...] | None] = {
            "area": ("north",),
            "age": ("old",),
            "trust": (trust,),
        }
        if trust != "no":  # routed past otherwise
            answers["help"] = ("papers",)
        return ReleaseRow("sv", True, answers, written_story=False, voice_story=False, themes=())

    rows = [row("yes")] * 15 + [row("sometimes")] * 14 + [row("no")]
    result = audit([release_of(rows).to_json()], [rows])
    assert not result.failures, "\n".join(result.failures)


def test_report_figures() -> None:
    """Not a check: prints what the attacks above did (run with -s to see it)."""
    if STATS["seconds"]:
        print(
            f"\nattack: {len(STATS['seconds'])} cases, {sum(STATS['attacked']):.0f} hidden small cells and "
            f"{sum(STATS['derived']):.0f} derived ones attacked, {sum(STATS['solved']):.0f} integer "
            f"programmes solved, {sum(STATS['seconds']):.1f} s"
        )
