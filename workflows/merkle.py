"""The Merkle tree over custody chain heads that a checkpoint signs (docs/custody-chain.md, "Checkpoints").

A leaf is SHA-256 of "itad-custody-head\\n<batch_id>:<seq>:<hash>"; each level pairs its nodes in order and hashes
the 64 concatenated bytes; an odd last node is paired with itself. verify_custody.py computes the same, by
itself, from the specification.
"""

from __future__ import annotations

import hashlib


def leaf(batch_id: int, seq: int, head: str) -> bytes:
    return hashlib.sha256(f"itad-custody-head\n{batch_id}:{seq}:{head}".encode("utf-8")).digest()


def _up(level: list[bytes]) -> list[bytes]:
    if len(level) % 2:
        level = level + [level[-1]]
    return [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]


def root(leaves: list[bytes]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = list(leaves)
    while len(level) > 1:
        level = _up(level)
    return level[0].hex()


def proof(leaves: list[bytes], index: int) -> list[dict[str, str]]:
    """The siblings from leaf `index` up to the root: [{"side": "left"|"right", "hash": hex}], bottom first."""
    steps, level, i = [], list(leaves), index
    while len(level) > 1:
        sibling = i ^ 1 if (i ^ 1) < len(level) else i
        steps.append({"side": "left" if sibling < i else "right", "hash": level[sibling].hex()})
        level, i = _up(level), i // 2
    return steps


def fold(node: bytes, steps: list[dict[str, str]]) -> str:
    for step in steps:
        other = bytes.fromhex(step["hash"])
        node = hashlib.sha256(other + node if step["side"] == "left" else node + other).digest()
    return node.hex()
