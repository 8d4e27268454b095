"""Bulk sending and send jobs (views/jobs.py), uploads (views/uploads.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from libs.api_spec import Body
from libs.column_types import ColumnText, Text
from models.send_job import SendJobItem
from wechat.sending.jobs import MAX_FILES, MAX_RECIPIENTS, MAX_TEXT

UploadId = Text(64, description="an id from POST /api/uploads")
UploadIds = Annotated[list[UploadId], Field(max_length=MAX_FILES)]
SendText = Text(MAX_TEXT)


class SendIn(Body):
    to: Annotated[list[ColumnText(SendJobItem.recipient_puid, strip=True)], Field(max_length=MAX_RECIPIENTS)]
    text: SendText = ""
    files: UploadIds = []


class JobOut(BaseModel):
    id: int
    status: str = Field(description="pending, running, done, cancelled or failed")
    reason: str | None
    created_by: str | None
    total: int
    sent: int
    failed: int
    uncertain: int = Field(0, description="items whose outcome a crash left unknown; resent only on request")
    error: str | None
    created_at: str | None
    updated_at: str | None
    account_id: int | None = Field(None, description="the WeChat account that sends it (null: older jobs)")


class JobAnswer(BaseModel):
    job: JobOut


class Resent(JobAnswer):
    resent: int


class Jobs(BaseModel):
    items: list[JobOut]


class JobItemOut(BaseModel):
    to: str
    status: str
    error: str | None
    sent_at: str | None


class JobDetail(JobOut):
    items: list[JobItemOut]


class UploadOut(BaseModel):
    id: str
    name: str
    size: int
    kind: str
    sha256: str


class UploadInfo(UploadOut):
    mime: str
    created_at: str


class Uploads(BaseModel):
    uploads: list[UploadOut]
