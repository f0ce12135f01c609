"""Lines of "name: value" typed into a textarea ("laptop: 40", "ACME-PO-17: 40.5"): each line split at its last
colon, since a name may hold one (a batch reference "PO:17") and a value never does. Blank lines are skipped; a line
without a colon comes back with an empty value for the caller to refuse, quoting the line."""

from __future__ import annotations


def pairs(text: str | None, *, commas: bool = False) -> list[tuple[str, str, str]]:
    """[(name, value, the line as typed)], stripped; `commas`: a comma separates pairs as a line break does."""
    text = text or ""
    if commas:
        text = text.replace(",", "\n")
    out = []
    for line in text.splitlines():
        if line.strip():
            name, _, value = line.rpartition(":")
            out.append((name.strip(), value.strip(), line.strip()))
    return out
