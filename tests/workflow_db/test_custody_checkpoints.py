"""Signed checkpoints of the chains' heads: the signature checks with the operator's certificate, the Merkle root
is recomputed by the standalone verifier (all heads, or one batch's head and its proof), and a chain cut after a
checkpoint is found from the checkpoint alone."""

from __future__ import annotations

import base64
import json

import sqlalchemy as sa

import certificates
from itad.models import CustodyCheckpoint
from tests.certification.conftest import signing_key  # noqa: F401  (fixture)
from tests.factories import make_batch
from tests.workflow_db.conftest import devices_of
from tests.workflow_db.test_custody_export import _export, verify


def _history(bench, world, session, batch):
    for d in devices_of(session, batch):
        bench.receive(world.tech, d.serial)


def test_an_admin_checkpoint_signs_every_open_chains_head(bench, world, batch, session, signing_key, tmp_path):
    _history(bench, world, session, batch)
    status, made = bench.post(world.admin, "/custody/checkpoints")
    assert status == 201 and made["batches"] == 1
    doc = bench.ok(world.admin, "GET", f"/custody/checkpoints/{made['id']}")
    assert doc["heads"] == [{"batch_id": batch.id, "seq": 3, "hash": doc["heads"][0]["hash"]}]
    assert certificates.verify_bytes(doc["merkle_root"].encode(), base64.b64decode(doc["signature"]),
                                     doc["signer_certificate"].encode())
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(doc))
    lines = _export(bench.client, world.acme, batch.id)
    assert verify(tmp_path, lines, "--checkpoint", str(path))[0] == 0
    doc["heads"][0]["seq"] = 2                                          # an altered checkpoint
    path.write_text(json.dumps(doc))
    code, out = verify(tmp_path, lines, "--checkpoint", str(path))
    assert code == 1 and "do not give its Merkle root" in out
    assert bench.post(world.admin, "/custody/checkpoints")[0] == 409    # nothing moved since


def test_the_client_proves_its_chain_against_the_checkpoint_with_its_own_head_alone(bench, world, batch, session,
                                                                                   signing_key, tmp_path):
    other = make_batch(session, world.globex.org, devices=2)
    session.commit()
    _history(bench, world, session, batch)
    _history(bench, world, session, other)
    bench.post(world.admin, "/custody/checkpoints")
    doc = bench.ok(world.acme, "GET", f"/batches/{batch.id}/custody/checkpoint")
    assert "heads" not in doc and doc["head"]["batch_id"] == batch.id and doc["proof"]   # no other client's head
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    lines = _export(bench.client, world.acme, batch.id)
    assert verify(tmp_path, lines, "--checkpoint", str(path))[0] == 0
    code, out = verify(tmp_path, lines[:-1], "--checkpoint", str(path))
    assert code == 1 and "1 event(s) after seq 2 are missing" in out
    assert bench.get(world.globex, f"/batches/{batch.id}/custody/checkpoint")[0] == 404
    assert bench.get(world.acme, "/custody/checkpoints")[0] == 403


def test_the_cli_checkpoints_only_when_a_chain_moved(bench, world, batch, session,
                                                                                 signing_key, app):
    _history(bench, world, session, batch)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["audit", "checkpoint"])
    assert first.exit_code == 0 and "1 chain head(s)" in first.output
    assert "nothing moved" in runner.invoke(args=["audit", "checkpoint"]).output
    bench.wipe(world.tech, devices_of(session, batch)[0].id)
    second = runner.invoke(args=["audit", "checkpoint"])
    assert second.exit_code == 0
    latest = session.scalars(sa.select(CustodyCheckpoint).order_by(CustodyCheckpoint.id.desc())).first()
    assert latest.heads[0]["seq"] == 4
