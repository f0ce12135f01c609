#!/usr/bin/env python3
"""Check an exported custody chain without the server's code: Python 3.8+ standard library only.

    python3 -I verify_custody.py export.jsonl [--head SEQ:HASH] [--checkpoint checkpoint.json]

export.jsonl is what GET /api/v1/batches/<id>/custody.jsonl serves: one event per line. The format is
specified in docs/custody-chain.md; in short, each line is the event's payload (the fields its hash covers)
with "prev_hash" and "hash" beside them, and

    hash = SHA-256( prev_hash + "\\n" + canonical JSON of the payload )   (lowercase hex)

where the canonical JSON has its keys sorted, no whitespace (separators "," and ":"), non-ASCII characters
as themselves, UTF-8. The first event has seq 1 and prev_hash "0" * 64; each next one has seq + 1 and the
previous event's hash as its prev_hash.

--head SEQ:HASH      a head stated elsewhere (a batch certificate states its chain head): the export must
                     hold event SEQ with that hash, so events cut off or changed before it are found.
--checkpoint FILE    a signed checkpoint (GET /api/v1/custody/checkpoints/<id>): its Merkle root is
                     recomputed from its heads, and this batch's head in it is checked as with --head.
                     The checkpoint's signature is checked with openssl (docs/custody-chain.md).

Exit status 0 when everything checks; 1 with the first bad event named; 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

GENESIS = "0" * 64
FIELDS = ("batch_id", "seq", "device_id", "action", "from_state", "to_state", "actor_id", "actor_label",
          "evidence", "created_at")


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(prev_hash: str, payload: dict) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(payload)).encode("utf-8")).hexdigest()


def leaf(batch_id: int, seq: int, head: str) -> bytes:
    return hashlib.sha256(f"itad-custody-head\n{batch_id}:{seq}:{head}".encode("utf-8")).digest()


def merkle_root(leaves: list) -> str:
    """SHA-256 Merkle root of the leaves in the order given; an odd last node is paired with itself."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


class Bad(Exception):
    pass


def verify(lines, head: tuple | None = None) -> tuple:
    """(events, batch_id, last seq, last hash); raises Bad naming the first event that does not fit."""
    expected_prev, expected_seq, batch_id, seen = GENESIS, 1, None, {}
    count = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
        except ValueError as exc:
            raise Bad(f"line {number}: not JSON ({exc})")
        if not isinstance(event, dict):
            raise Bad(f"line {number}: not a JSON object")
        missing = [f for f in FIELDS + ("prev_hash", "hash") if f not in event]
        extra = sorted(set(event) - set(FIELDS) - {"prev_hash", "hash"})
        if missing or extra:
            raise Bad(f"line {number} (seq {event.get('seq')}): "
                      + (f"missing {', '.join(missing)}" if missing else f"unexpected field(s) {', '.join(extra)}"))
        seq, stored, prev = event["seq"], event.pop("hash"), event.pop("prev_hash")
        where = f"line {number}, event seq {seq}"
        if batch_id is None:
            batch_id = event["batch_id"]
        elif event["batch_id"] != batch_id:
            raise Bad(f"{where}: belongs to batch {event['batch_id']}, the export to batch {batch_id}")
        if seq != expected_seq:
            what = ("an event before it is missing (deleted or the export was cut)" if isinstance(seq, int)
                    and seq > expected_seq else "events are out of order or repeated")
            raise Bad(f"{where}: expected seq {expected_seq}: {what}")
        if prev != expected_prev:
            raise Bad(f"{where}: its prev_hash is not the hash of the event before it: an event was removed, "
                      f"inserted, reordered or edited before it")
        if event_hash(prev, event) != stored:
            raise Bad(f"{where}: its content does not give its hash: the event was edited")
        seen[seq] = stored
        expected_prev, expected_seq, count = stored, seq + 1, count + 1
    if count == 0:
        raise Bad("the export holds no event")
    last_seq = expected_seq - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last_seq:
            raise Bad(f"the export ends at seq {last_seq}, but the stated head is seq {head_seq}: "
                      f"{head_seq - last_seq} event(s) after seq {last_seq} are missing (the chain was cut)")
        if seen.get(head_seq) != head_hash:
            raise Bad(f"event seq {head_seq} does not have the stated head hash {head_hash}: the chain was "
                      f"rewritten up to it")
    return count, batch_id, last_seq, expected_prev


def fold(node: bytes, proof: list) -> str:
    for step in proof:
        other = bytes.fromhex(step["hash"])
        node = hashlib.sha256(other + node if step["side"] == "left" else node + other).digest()
    return node.hex()


def checkpoint_head(path: str, batch_id) -> tuple:
    """This batch's head in a checkpoint, once the checkpoint's heads (all of them, or this one with its Merkle
    proof) give its signed root."""
    with open(path, encoding="utf-8") as f:
        checkpoint = json.load(f)
    if "heads" in checkpoint:
        heads = checkpoint["heads"]
        root = merkle_root([leaf(h["batch_id"], h["seq"], h["hash"]) for h in heads])
        mine = [h for h in heads if h["batch_id"] == batch_id]
    else:
        head = checkpoint["head"]
        root = fold(leaf(head["batch_id"], head["seq"], head["hash"]), checkpoint["proof"])
        mine = [head] if head["batch_id"] == batch_id else []
    if root != checkpoint["merkle_root"]:
        raise Bad(f"checkpoint {checkpoint.get('id')}: its heads do not give its Merkle root: it was altered")
    if not mine:
        raise Bad(f"checkpoint {checkpoint.get('id')} holds no head for batch {batch_id}")
    return mine[0]["seq"], mine[0]["hash"], checkpoint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check an exported custody chain (docs/custody-chain.md).")
    parser.add_argument("export")
    parser.add_argument("--head", help="SEQ:HASH, e.g. as a batch certificate states it")
    parser.add_argument("--checkpoint", help="a checkpoint JSON file")
    args = parser.parse_args(argv)
    head = None
    if args.head:
        seq, _, digest = args.head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            print(f"--head must be SEQ:HASH (64 hex digits), not {args.head!r}", file=sys.stderr)
            return 2
        head = (int(seq), digest.lower())
    try:
        with open(args.export, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as exc:
        print(f"cannot read {args.export}: {exc}", file=sys.stderr)
        return 2
    try:
        count, batch_id, last_seq, last_hash = verify(lines, head)
        checked = ""
        if args.checkpoint:
            seq, digest, checkpoint = checkpoint_head(args.checkpoint, batch_id)
            verify(lines, (seq, digest))
            checked = f"; checkpoint {checkpoint.get('id')} (batch head seq {seq}) matches"
    except Bad as exc:
        print(f"FAIL: {exc}")
        return 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read the checkpoint: {exc}", file=sys.stderr)
        return 2
    stated = f"; stated head seq {head[0]} matches" if head else ""
    print(f"OK: batch {batch_id}, {count} events, head seq {last_seq} {last_hash}{stated}{checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
