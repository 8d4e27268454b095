"""POST /api/uploads (multipart field `file`, one or several) and GET /api/uploads/<id> (metadata)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api
from libs.uploads import (
    MAX_FILES_PER_REQUEST,
    UploadError,
    UploadNotFound,
    delete_upload,
    parse_extensions,
    resolve_upload,
    save_upload,
    upload_root,
)
from models.audit import record
from views.schemas.jobs import UploadInfo, Uploads

bp = Blueprint("uploads", __name__, url_prefix="/api/uploads")


@bp.post("")
@api.validate(resp=Response(HTTP_201=Uploads, HTTP_400=ErrorBody, HTTP_413=ErrorBody, HTTP_415=ErrorBody))
def create():
    """Upload files (multipart/form-data, field `file`, one or several) for sending."""
    files = request.files.getlist("file")  # a body over MAX_CONTENT_LENGTH raises 413 here (JSON, views/errors)
    if not files:
        raise ApiError(400, "send the file(s) as multipart/form-data in the field 'file'", field="file")
    if len(files) > MAX_FILES_PER_REQUEST:
        raise ApiError(400, f"at most {MAX_FILES_PER_REQUEST} files per request", field="file")
    allowed = parse_extensions(current_app.config["UPLOAD_ALLOWED_EXTENSIONS"])
    root = upload_root()
    stored = []
    try:
        for file in files:
            stored.append(save_upload(root, file.stream, file.filename, allowed))
    except UploadError as error:
        for upload in stored:  # all or nothing: the caller retries the whole request after fixing one file
            delete_upload(root, upload.id)
        raise ApiError(error.status, error.message, field="file") from None
    record(current_user.username, "upload.create", ip=request.remote_addr,
           detail={"ids": [upload.id for upload in stored], "names": [upload.name for upload in stored]})
    db.session.commit()
    body = [{key: upload.public()[key] for key in ("id", "name", "size", "kind", "sha256")} for upload in stored]
    return jsonify({"uploads": body}), 201


@bp.get("/<upload_id>")
@api.validate(resp=Response(HTTP_200=UploadInfo, HTTP_404=ErrorBody))
def show(upload_id: str):
    """An upload's metadata."""
    try:
        upload = resolve_upload(upload_root(), upload_id)
    except UploadNotFound:
        raise ApiError(404, "no such upload") from None
    return jsonify(upload.public())
