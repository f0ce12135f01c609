"""Checkpoints of the custody chains: their heads, a Merkle root over them, signed with the operator's key.

A chain cut or rewritten after a checkpoint no longer ends in the head the checkpoint signed, and a client can
show it from its own export and its batch's entry (a Merkle proof), with verify_custody.py. A checkpoint holds
every open batch's head and every head that moved since the last checkpoint; `make` is safe to run from several
workers at once (one at a time, and not again within the interval)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

import certificates
from itad.certification import keys
from itad.errors import Conflict, NotFound
from itad.models import Batch, CustodyCheckpoint, CustodyEvent, SigningKey, utcnow
from workflows import merkle


SINCE_MARGIN = timedelta(minutes=10)


def _heads(session: Session, since) -> list[dict[str, Any]]:
    last = (sa.select(CustodyEvent.batch_id, sa.func.max(CustodyEvent.seq).label("seq"))
            .group_by(CustodyEvent.batch_id).subquery())
    query = (sa.select(CustodyEvent.batch_id, CustodyEvent.seq, CustodyEvent.hash, CustodyEvent.created_at,
                       Batch.status)
             .join(last, sa.and_(last.c.batch_id == CustodyEvent.batch_id, last.c.seq == CustodyEvent.seq))
             .join(Batch, Batch.id == CustodyEvent.batch_id).order_by(CustodyEvent.batch_id))
    if since is not None:
        query = query.where(sa.or_(Batch.status == "open", CustodyEvent.created_at > since))
    return [{"batch_id": r.batch_id, "seq": r.seq, "hash": r.hash} for r in session.execute(query)]


def make(session: Session, *, min_interval: timedelta | None = None) -> CustodyCheckpoint | None:
    """Sign the heads now; None when the last checkpoint is younger than `min_interval` or nothing moved."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('itad-custody-checkpoint'))"))
    last = session.scalars(sa.select(CustodyCheckpoint).order_by(CustodyCheckpoint.id.desc()).limit(1)).first()
    now = utcnow()
    if last is not None and min_interval is not None and now - last.created_at < min_interval:
        return None
    # A margin for events written with an earlier clock reading but committed after the last checkpoint.
    heads = _heads(session, last.created_at - SINCE_MARGIN if last is not None else None)
    if last is not None and heads == last.heads:
        return None                                     # nothing moved since: the last one still stands
    key = keys.active_key(session)
    if key is None:
        raise Conflict("No signing key is active; run 'itad keys init'.", code="no_signing_key")
    root = merkle.root([merkle.leaf(h["batch_id"], h["seq"], h["hash"]) for h in heads])
    signature = certificates.sign_bytes(root.encode(), key.key_encrypted, keys.passphrase_from(current_app.config))
    stamping = keys.timestamping(current_app.config)
    # The authority's token says when the signature existed: a key rotated or compromised later cannot date one.
    token = certificates.timestamp_token(signature, stamping) if stamping else None
    checkpoint = CustodyCheckpoint(created_at=now, heads=heads, merkle_root=root, signature=signature,
                                   signing_key_id=key.id, timestamp_token=token)
    session.add(checkpoint)
    session.flush()
    return checkpoint


def listing(session: Session, limit: int = 100) -> list[CustodyCheckpoint]:
    return list(session.scalars(sa.select(CustodyCheckpoint).order_by(CustodyCheckpoint.id.desc()).limit(limit)))


def document(session: Session, checkpoint_id: int, *, batch_id: int | None = None) -> dict[str, Any]:
    """The checkpoint as docs/custody-chain.md specifies it: with every head (batch_id None: the operator), or
    with one batch's head and the Merkle proof that it is under the signed root (for the batch's client)."""
    cp = session.get(CustodyCheckpoint, checkpoint_id)
    if cp is None:
        raise NotFound(f"No checkpoint {checkpoint_id}.")
    key = session.get(SigningKey, cp.signing_key_id)
    out: dict[str, Any] = {"id": cp.id, "created_at": cp.created_at.isoformat(), "merkle_root": cp.merkle_root,
                           "signature": base64.b64encode(cp.signature).decode(), "signer_certificate": key.cert_pem,
                           "timestamp_token": base64.b64encode(cp.timestamp_token).decode()
                           if cp.timestamp_token else None}
    if batch_id is None:
        return {**out, "heads": cp.heads}
    index = next((i for i, h in enumerate(cp.heads) if h["batch_id"] == batch_id), None)
    if index is None:
        raise NotFound(f"Checkpoint {checkpoint_id} holds no head of batch {batch_id}.")
    leaves = [merkle.leaf(h["batch_id"], h["seq"], h["hash"]) for h in cp.heads]
    return {**out, "head": cp.heads[index], "proof": merkle.proof(leaves, index)}


def latest_for(session: Session, batch_id: int) -> CustodyCheckpoint | None:
    """The newest checkpoint holding the batch's head."""
    for cp in session.scalars(sa.select(CustodyCheckpoint).order_by(CustodyCheckpoint.id.desc()).limit(500)):
        if any(h["batch_id"] == batch_id for h in cp.heads):
            return cp
    return None
