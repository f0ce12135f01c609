"""A batch's custody chain exported exactly as hashed, checked by verify_custody.py run by a plain `python3 -I`
(standard library only, none of our code), on exports from both databases; each kind of tampering is named."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.workflow_db.conftest import devices_of

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "verify_custody.py"
# The system's own interpreter when there is one: no virtualenv, no site-packages of ours.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _history(bench, world, session, batch):
    for d in devices_of(session, batch):
        bench.receive(world.tech, d.serial)
        bench.wipe(world.tech, d.id)


def _export(client, party, batch_id) -> list[str]:
    r = client.get(f"/api/v1/batches/{batch_id}/custody.jsonl", headers=party.headers)
    assert r.status_code == 200 and r.mimetype == "application/x-ndjson"
    return r.get_data(as_text=True).splitlines(keepends=True)


def verify(tmp_path, lines, *extra) -> tuple[int, str]:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    done = subprocess.run([PYTHON, "-I", str(VERIFIER), str(path), *extra], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    return done.returncode, done.stdout + done.stderr


def test_the_owner_exports_the_chain_and_the_standalone_verifier_accepts_it(bench, world, batch, session, client,
                                                                          tmp_path):
    _history(bench, world, session, batch)
    lines = _export(client, world.acme, batch.id)
    assert len(lines) == 6
    first = json.loads(lines[0])
    assert first["seq"] == 1 and first["prev_hash"] == "0" * 64 and first["created_at"].endswith("+00:00")
    code, out = verify(tmp_path, lines)
    assert code == 0 and f"OK: batch {batch.id}, 6 events" in out
    last = json.loads(lines[-1])
    assert verify(tmp_path, lines, "--head", f"6:{last['hash']}")[0] == 0
    assert _export(client, world.admin, batch.id) == lines


def test_each_kind_of_tampering_is_named(bench, world, batch, session, client, tmp_path):
    _history(bench, world, session, batch)
    lines = _export(client, world.acme, batch.id)
    edited = json.loads(lines[2])
    edited["actor_label"] = "Someone Else"
    code, out = verify(tmp_path, lines[:2] + [json.dumps(edited) + "\n"] + lines[3:])
    assert code == 1 and "event seq 3: its content does not give its hash: the event was edited" in out

    code, out = verify(tmp_path, lines[:2] + lines[3:])                                # removed
    assert code == 1 and "line 3, event seq 4: expected seq 3" in out and "missing" in out

    code, out = verify(tmp_path, [lines[0], lines[2], lines[1]] + lines[3:])           # reordered
    assert code == 1 and "line 2, event seq 3: expected seq 2" in out

    head = json.loads(lines[-1])
    assert verify(tmp_path, lines[:-2])[0] == 0                     # a cut chain is valid by itself...
    code, out = verify(tmp_path, lines[:-2], "--head", f"6:{head['hash']}")
    assert code == 1 and "2 event(s) after seq 4 are missing" in out  # ...but not against its stated head

    rewritten, prev = [], "0" * 64                                   # edited, every hash after it recomputed
    for number, raw in enumerate(lines, start=1):
        event = json.loads(raw)
        event.pop("hash")
        event["prev_hash"] = prev
        if number == 2:
            event["evidence"] = {"method": "destroy"}
        payload = {k: v for k, v in event.items() if k != "prev_hash"}
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event["hash"] = prev = hashlib.sha256((event["prev_hash"] + "\n" + canonical).encode()).hexdigest()
        rewritten.append(json.dumps(event) + "\n")
    assert verify(tmp_path, rewritten)[0] == 0
    code, out = verify(tmp_path, rewritten, "--head", f"6:{head['hash']}")
    assert code == 1 and "does not have the stated head hash" in out


def test_another_client_gets_404_and_the_owner_may_verify_its_own_chain(bench, world, batch, session, client):
    _history(bench, world, session, batch)
    r = client.get(f"/api/v1/batches/{batch.id}/custody.jsonl", headers=world.globex.headers)
    assert r.status_code == 404
    assert bench.ok(world.acme, "GET", f"/batches/{batch.id}/custody/verify")["ok"] is True
    assert bench.get(world.globex, f"/batches/{batch.id}/custody/verify")[0] == 404
