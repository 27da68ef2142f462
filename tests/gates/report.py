"""Failure messages a person can read: each problem once per page, each page's list once."""

from __future__ import annotations

from collections import Counter

MAX_PAGES = 25


def report(failures: dict[str, list[tuple[str, str]]]) -> str:
    """``failures`` maps a page's name to (problem, where) pairs. A problem repeated on a page
    is shown once with a count; pages with the same problems are named together."""
    by_problems: dict[tuple, list[str]] = {}
    for page, found in failures.items():
        counts = Counter(problem for problem, _where in found)
        first_where = {}
        for problem, where in found:
            first_where.setdefault(problem, where)
        lines = tuple(
            f"{problem} ({count}x, first at {first_where[problem]})"
            if count > 1
            else f"{problem} at {first_where[problem]}"
            for problem, count in counts.items()
        )
        by_problems.setdefault(lines, []).append(page)
    out = [f"{len(failures)} pages fail:"]
    for lines, pages in list(by_problems.items())[:MAX_PAGES]:
        others = f" (and the same on {len(pages) - 1} more: {', '.join(pages[1:4])}...)"
        out.append(f"{pages[0]}{others if len(pages) > 1 else ''}:")
        out.extend(f"  {line}" for line in lines)
    if len(by_problems) > MAX_PAGES:
        out.append(f"... and {len(by_problems) - MAX_PAGES} more kinds of failure")
    return "\n".join(out)
