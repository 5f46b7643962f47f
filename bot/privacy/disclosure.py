"""Small-count protection: which counts may be shown so that no one can be singled out.

Rules, applied to every figure admins see:
- a count of 1 to 4 respondents is never shown (a zero is: it points at nobody);
- where shown counts add up to a shown total (the options of a single-choice question, the
  groups of a breakdown), hidden counts in that line must be at least two and together cover
  at least 5 respondents, so that the total minus the shown counts cannot give a hidden one
  back; further cells are hidden, smallest first, until that holds;
- where a count is one side of a yes/no split of a shown base (an option of a
  multiple-choice question, a headline share), the other side must not be 1 to 4 either.

Hidden counts are ``None``. Nothing derived from them (a share, a bar) may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

MINIMUM = 5


def too_small(count: int) -> bool:
    return 0 < count < MINIMUM


def _complete_line(values: Sequence[int], hidden: set[int]) -> bool:
    """Hide more cells of one line (indexes into ``values``) until the hidden ones protect each
    other: at least two, covering at least ``MINIMUM`` respondents. The smallest non-zero cells
    go first; a zero is hidden only when nothing else is left, because an unknown zero still
    keeps the others in its line from being solved. True if anything changed."""
    changed = False
    while hidden and not (sum(values[i] for i in hidden) >= MINIMUM and len(hidden) >= 2):
        shown = [i for i in range(len(values)) if i not in hidden]
        if not shown:
            break
        nonzero = [i for i in shown if values[i] > 0]
        hidden.add(min(nonzero or shown, key=lambda i: (values[i], i)))
        changed = True
    return changed


def protect_partition(counts: Mapping[str, int]) -> dict[str, int | None]:
    """Counts that add up to a total which is shown: each hidden one is ``None``."""
    keys = list(counts)
    values = [counts[key] for key in keys]
    if 0 < sum(values) < MINIMUM:
        return dict.fromkeys(keys)
    hidden = {i for i, value in enumerate(values) if too_small(value)}
    _complete_line(values, hidden)
    return {key: (None if i in hidden else values[i]) for i, key in enumerate(keys)}


def protect_split(count: int, base: int) -> int | None:
    """A count out of a shown base, where ``base - count`` is known too."""
    if too_small(count) or too_small(base - count) or too_small(base):
        return None
    return count


def protect_table(
    cells: Sequence[Sequence[int]], row_bases: Sequence[int], *, rows_partition: bool
) -> tuple[list[list[int | None]], list[int | None]]:
    """A breakdown: one row per group, one column per option, with the row bases (group sizes)
    and the column totals (the whole distribution) assumed to be shown.

    ``rows_partition`` says whether each row's cells add up to its base (single choice) or
    are yes/no splits of it (multiple choice). Returns the protected cells and row bases.
    """
    rows, columns = len(cells), len(cells[0]) if cells else 0
    # Group sizes add up to the total of the breakdown: a small group is hidden whole.
    bases = protect_partition({str(r): base for r, base in enumerate(row_bases)})
    hidden: set[tuple[int, int]] = set()
    for r in range(rows):
        for c in range(columns):
            value = cells[r][c]
            # In a yes/no split the group minus the count is known too.
            other_side = not rows_partition and too_small(row_bases[r] - value)
            if bases[str(r)] is None or too_small(value) or other_side:
                hidden.add((r, c))
    changed = True
    while changed:
        changed = False
        lines: list[list[tuple[int, int]]] = [[(r, c) for r in range(rows)] for c in range(columns)]
        if rows_partition:
            lines += [[(r, c) for c in range(columns)] for r in range(rows) if bases[str(r)] is not None]
        for line in lines:
            values = [cells[r][c] for r, c in line]
            in_line = {i for i, cell in enumerate(line) if cell in hidden}
            if _complete_line(values, in_line):
                hidden.update(line[i] for i in in_line)
                changed = True
    protected = [[None if (r, c) in hidden else cells[r][c] for c in range(columns)] for r in range(rows)]
    return protected, [bases[str(r)] for r in range(rows)]
