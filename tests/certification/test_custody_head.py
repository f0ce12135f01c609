"""A batch certificate states the custody chain head it covers, inside its signature: an export cut or rewritten
after it no longer ends in that head, and the standalone verifier says so from the certificate alone."""

from __future__ import annotations

import json
import re
import subprocess

from itad.certification import issuing
from tests.workflow_db.test_custody_export import verify


def test_the_certificate_states_the_head_before_its_own_event_and_the_export_holds_it(closed, client, world,
                                                                                       tmp_path):
    doc = json.loads(issuing.read_json(closed.certificate))
    head = doc["custody_head"]
    lines = client.get(f"/api/v1/batches/{closed.batch.id}/custody.jsonl",
                       headers=world.acme.headers).get_data(as_text=True).splitlines(keepends=True)
    events = [json.loads(line) for line in lines]
    stated = next(e for e in events if e["seq"] == head["seq"])
    assert stated["hash"] == head["hash"]
    assert events[head["seq"]]["action"] == "certificate_issued"         # the head is the event just before
    assert verify(tmp_path, lines, "--head", f"{head['seq']}:{head['hash']}")[0] == 0
    code, out = verify(tmp_path, lines[:head["seq"] - 1], "--head", f"{head['seq']}:{head['hash']}")
    assert code == 1 and "missing" in out

    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(issuing.read_pdf(closed.certificate))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert f"event {head['seq']}, hash" in text
    assert head["hash"] in re.sub(r"\s+", "", text)                      # whole, never cut
