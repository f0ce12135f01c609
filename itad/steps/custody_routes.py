"""Custody timelines (clients read their own) and the chain check (admins)."""

from __future__ import annotations

from flask import Response, stream_with_context

from itad import batches
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.pagination import page
from itad.api.schemas import PageQuery
from itad.steps.schemas import ChainVerifyOut, CheckpointList, CheckpointOut, EventOut, EventPage
from itad.models import CustodyEvent, db
from itad.errors import Conflict, NotFound
from itad.steps import checkpoints, custody


@bp.get("/devices/<int:device_id>/custody")
@operation("A device's custody timeline", query=PageQuery, response=EventPage, tags=("custody",), errors=(404,))
def device_custody(device_id: int, query: PageQuery):
    device = batches.get_device(db.session, current_user(), device_id)
    return _page(custody.timeline(db.session, device_id=device.id), query)


@bp.get("/batches/<int:batch_id>/custody")
@operation("A batch's custody timeline (its hash chain, in order)", query=PageQuery, response=EventPage,
           tags=("custody",), errors=(404,))
def batch_custody(batch_id: int, query: PageQuery):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return _page(custody.timeline(db.session, batch_id=batch.id), query)


@bp.get("/batches/<int:batch_id>/custody.jsonl")
@operation("The batch's custody chain exactly as hashed, one event per line (docs/custody-chain.md): check it with "
           "verify_custody.py, without our code", tags=("custody",), errors=(404,), produces="application/x-ndjson")
def export_custody(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return Response(stream_with_context(custody.export_lines(db.session, batch.id)), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}-custody.jsonl"'})


@bp.get("/batches/<int:batch_id>/custody/verify")
@operation("Recompute the batch's custody chain; name the first altered event (the client who owns the batch, "
           "and the operator)", response=ChainVerifyOut, tags=("custody",), errors=(404,))
def verify_custody(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return ChainVerifyOut(**custody.verify_batch(db.session, batch.id))


def _page(timeline, query: PageQuery) -> EventPage:
    rows, nxt = page(db.session, timeline, CustodyEvent.id, query.limit, query.cursor)
    return EventPage(items=[EventOut.model_validate(e) for e in rows], next_cursor=nxt)


@bp.get("/custody/checkpoints")
@operation("The signed checkpoints of the custody chains, newest first", roles=("admin",),
           response=CheckpointList, tags=("custody",), errors=(403,))
def list_checkpoints():
    return CheckpointList(items=[CheckpointOut(id=c.id, created_at=c.created_at, merkle_root=c.merkle_root,
                                               batches=len(c.heads)) for c in checkpoints.listing(db.session)])


@bp.post("/custody/checkpoints")
@operation("Sign the chains' heads now (the worker does it every CUSTODY_CHECKPOINT_SECONDS)", roles=("admin",),
           response=CheckpointOut, status=201, tags=("custody",), errors=(403, 409))
def make_checkpoint():
    made = checkpoints.make(db.session)
    if made is None:
        raise Conflict("No chain moved since the last checkpoint; it still stands.", code="nothing_moved",
                       details={"allowed": [], "needs": []})
    return CheckpointOut(id=made.id, created_at=made.created_at, merkle_root=made.merkle_root,
                         batches=len(made.heads))


@bp.get("/custody/checkpoints/<int:checkpoint_id>")
@operation("A checkpoint as docs/custody-chain.md specifies it, with every head", roles=("admin",),
           tags=("custody",), errors=(403, 404))
def get_checkpoint(checkpoint_id: int):
    return checkpoints.document(db.session, checkpoint_id)


@bp.get("/batches/<int:batch_id>/custody/checkpoint")
@operation("The newest checkpoint holding the batch's head: that head and its Merkle proof under the signed root "
           "(for verify_custody.py --checkpoint)", tags=("custody",), errors=(404,))
def batch_checkpoint(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    found = checkpoints.latest_for(db.session, batch.id)
    if found is None:
        raise NotFound(f"No checkpoint holds batch {batch.id}'s chain yet.")
    return checkpoints.document(db.session, found.id, batch_id=batch.id)
