"""A batch's progress as a stacked bar: which share of its devices is in which state.

Drawn as SVG rectangles (widths are attributes, not inline styles, so the strict CSP holds).
"""

from __future__ import annotations

# The bench order, then the exceptions: the bar reads left to right like the process.
STATE_ORDER = ("registered", "received", "sanitized", "verified", "graded", "cleared", "destroyed",
               "in_inventory", "sold", "missing", "unexpected", "matched")
DONE_STATES = frozenset({"cleared", "destroyed", "in_inventory", "sold", "missing"})


def bar_segments(counts: dict[str, int]) -> dict:
    """{"parts": [(state, count, x, width)], "total": n, "done": n, "missing": n} with x/width in percent:
    `done` of the `units` have their outcome (a final state, or cleared for resale), `missing` of them were
    never received."""
    total = sum(counts.values())
    parts, x = [], 0.0
    ordered = [s for s in STATE_ORDER if counts.get(s)] + sorted(s for s in counts if s not in STATE_ORDER)
    for state in ordered:
        width = 100.0 * counts[state] / total
        parts.append((state, counts[state], round(x, 3), round(width, 3)))
        x += width
    done = sum(n for s, n in counts.items() if s in DONE_STATES)
    # A matched record is the unit of its asset-list line, counted there (as the certificate counts).
    return {"parts": parts, "total": total, "units": total - counts.get("matched", 0), "done": done,
            "missing": counts.get("missing", 0)}
