"""Shapes shared by several API modules."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value):
        # Every timestamp leaves the API with its zone (RFC 3339 date-time).
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(100, ge=1, le=1000)
    cursor: int | None = Field(None, ge=0, le=2**31 - 1, description="next_cursor of the previous page")


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
    review_reason: str | None = None


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
    confidentiality: str | None = Field(None, description="stated by the client: low, moderate, high; null: not stated")
    data_backed_up: bool | None = Field(None, description="stated by the client; null: not stated")
    state_counts: dict[str, int] = {}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
