"""Small-count protection: no count of 1-4 is shown, and none can be worked out from the
shown counts and totals."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy.disclosure import MINIMUM, protect_partition, protect_split, protect_table


def _recoverable(
    cells: list[list[int]], shown: list[list[int | None]], lines: list[list[tuple[int, int]]]
) -> set:
    """What an attacker derives by repeatedly solving lines with one unknown cell, knowing every
    line total. Returns the hidden cells whose value is pinned down."""
    known = {(r, c): v for r, row in enumerate(shown) for c, v in enumerate(row) if v is not None}
    pinned = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [cell for cell in line if cell not in known]
            if len(unknown) == 1:
                r, c = unknown[0]
                known[(r, c)] = cells[r][c]
                pinned.add((r, c))
                progress = True
    return pinned


def test_a_partition_hides_small_cells_and_one_more():
    shown = protect_partition({"a": 40, "b": 3, "c": 12, "d": 0})
    assert shown["b"] is None
    # 3 alone could be worked out from the total: the next smallest is hidden with it.
    assert shown["c"] is None
    assert shown["a"] == 40
    assert shown["d"] == 0


def test_hidden_cells_cover_at_least_five_together():
    shown = protect_partition({"a": 100, "b": 1, "c": 2, "d": 1, "e": 50})
    hidden = [key for key, value in shown.items() if value is None]
    assert {"b", "c", "d"} <= set(hidden)
    assert sum({"a": 100, "b": 1, "c": 2, "d": 1, "e": 50}[key] for key in hidden) >= MINIMUM


def test_a_tiny_total_hides_everything():
    assert protect_partition({"a": 3, "b": 1}) == {"a": None, "b": None}


def test_split_hides_either_side_when_small():
    assert protect_split(3, 100) is None
    assert protect_split(97, 100) is None  # the three who did not are a small group
    assert protect_split(50, 100) == 50
    assert protect_split(0, 100) == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=8))
def test_partition_property(values):
    counts = {str(i): v for i, v in enumerate(values)}
    shown = protect_partition(counts)
    assert all(v is None or not (0 < v < MINIMUM) for v in shown.values())
    hidden = [k for k, v in shown.items() if v is None]
    if hidden and sum(values) >= MINIMUM:
        nonzero = [k for k in hidden if counts[k] > 0]
        # Either the hidden ones protect each other, or they are everything there was.
        assert (sum(counts[k] for k in hidden) >= MINIMUM and len(nonzero) != 1) or len(hidden) == len(
            [v for v in values if v > 0]
        ) + len([k for k in hidden if counts[k] == 0])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda rows: st.integers(min_value=2, max_value=5).flatmap(
            lambda cols: st.lists(
                st.lists(st.integers(min_value=0, max_value=12), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_table_never_lets_a_small_cell_be_worked_out(cells):
    bases = [sum(row) for row in cells]
    shown, shown_bases = protect_table(cells, bases, rows_partition=True)
    rows, cols = len(cells), len(cells[0])
    for r in range(rows):
        for c in range(cols):
            value = shown[r][c]
            assert value is None or not (0 < value < MINIMUM)
        if shown_bases[r] is None:
            assert all(value is None for value in shown[r])
    # Shown group sizes are public, and so is the overall distribution (the column totals)
    # as its own protection leaves it.
    totals = protect_partition({str(c): sum(row[c] for row in cells) for c in range(cols)})
    lines = [[(r, c) for c in range(cols)] for r in range(rows) if shown_bases[r] is not None]
    lines += [[(r, c) for r in range(rows)] for c in range(cols) if totals[str(c)] is not None]
    for r, c in _recoverable(cells, shown, lines):
        assert not (0 < cells[r][c] < MINIMUM), (cells, shown)


def test_table_for_multiple_choice_protects_both_sides_of_each_split():
    # 20 in the group; 18 chose the first option, so 2 did not: that cell is hidden.
    shown, bases = protect_table([[18, 10], [9, 9]], [20, 20], rows_partition=False)
    assert shown[0][0] is None
    assert bases == [20, 20]
    # The column total is shown, so the other group's count in that column goes too.
    assert shown[1][0] is None
