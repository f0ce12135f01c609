"""Batches and their devices, as the client and the operator read them."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from itad import batches
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.api.schemas import BatchOut, DeviceOut, Out, PageQuery
from itad.steps.schemas import DeviceWorkflowOut
from itad.models import db


class BatchListQuery(PageQuery):
    status: str | None = Field(None, pattern="^(open|closed)$")


class BatchPage(Out):
    items: list[BatchOut]
    next_cursor: int | None


class DeviceListQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    state: str | None = None
    category: str | None = None
    serial: str | None = Field(None, description="serial prefix, case-insensitive")


class DevicePage(Out):
    items: list[DeviceOut]
    next_cursor: int | None


def batch_out(batch, counts: dict[str, int]) -> BatchOut:
    out = BatchOut.model_validate(batch)
    out.state_counts = counts
    return out


@bp.get("/batches")
@operation("List batches", query=BatchListQuery, response=BatchPage, tags=("batches",))
def list_batches(query: BatchListQuery):
    found = batches.list_batches(
        db.session, current_user(), status=query.status, limit=query.limit, cursor=query.cursor
    )
    counts = batches.state_counts(db.session, [b.id for b in found.rows])
    return BatchPage(items=[batch_out(b, counts[b.id]) for b in found.rows], next_cursor=found.after)


@bp.get("/batches/<int:batch_id>")
@operation("Get a batch with its device counts per state", response=BatchOut, tags=("batches",), errors=(404,))
def get_batch(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return batch_out(batch, batches.state_counts(db.session, [batch.id])[batch.id])


@bp.get("/batches/<int:batch_id>/devices")
@operation("List a batch's devices", query=DeviceListQuery, response=DevicePage, tags=("devices",), errors=(404,))
def list_devices(batch_id: int, query: DeviceListQuery):
    found = batches.list_devices(
        db.session, current_user(), batch_id, state=query.state, category=query.category,
        serial_prefix=query.serial, limit=query.limit, cursor=query.cursor,
    )
    return DevicePage(items=[DeviceOut.model_validate(d) for d in found.rows], next_cursor=found.after)


@bp.get("/devices/<int:device_id>")
@operation("Get a device with its storage media and their wipe and verification records",
           response=DeviceWorkflowOut, tags=("devices",), errors=(404,))
def get_device(device_id: int):
    return _detail(batches.get_device(db.session, current_user(), device_id))


def _detail(device) -> DeviceWorkflowOut:
    """The device with each medium's wipe and verification records, its grade and its destruction."""
    history = batches.device_history(db.session, device)
    out = DeviceWorkflowOut.model_validate(device)
    for medium in out.media:
        medium.sanitizations = [r for r in history.records if r.medium_id == medium.id]
        medium.verifications = [v for v in history.checks if v.medium_id == medium.id]
    out.grading, out.destruction = history.grading, history.destruction
    return DeviceWorkflowOut.model_validate(out.model_dump())
