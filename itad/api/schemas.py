"""Shapes shared by several API modules."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(100, ge=1, le=1000)
    cursor: str | None = None


class MediumOut(Out):
    id: int
    serial: str | None
    media_type: str
    manufacturer: str | None
    model: str | None
    capacity_bytes: int | None
    source: str
    state: str
    failed_wipes: int


class DeviceOut(Out):
    id: int
    batch_id: int
    serial: str
    asset_tag: str | None
    manufacturer: str | None
    model: str | None
    category: str | None
    state: str
    manifest_row: int | None
    attributes: dict | None
    version: int
    created_at: datetime
    updated_at: datetime


class DeviceDetailOut(DeviceOut):
    media: list[MediumOut]


class BatchOut(Out):
    id: int
    organization_id: int
    reference: str
    status: str
    source_filename: str | None
    device_count: int
    created_at: datetime
    closed_at: datetime | None
    state_counts: dict[str, int] = {}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
