"""The request's size limits: a body declared too large is refused unread (the
413 page), a file that grows past the limit while it streams in is not kept,
and whatever a request spooled to disk goes when it ends."""

import io
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from avatars.cleanup import remove_stale_uploads_now_and_then
from avatars.conf import conf

# Room for the form's other fields and the multipart framing beside the photo.
FORM_OVERHEAD_BYTES = 256 * 1024


def max_request_bytes() -> int:
    return conf.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES


class OversizedUpload(UploadedFile[bytes]):
    """Stands in for a file that passed the size limit while it streamed in.

    It holds no data; `size` is how many bytes the client sent, so the form can
    say how large the file was.
    """

    too_large = True

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops keeping an uploaded file once it passes AVATAR_MAX_UPLOAD_BYTES.

    Django writes uploads to disk before any form sees them, and
    DATA_UPLOAD_MAX_MEMORY_SIZE does not count files. Placed first among the
    upload handlers, this one withholds every chunk past the limit from the
    handlers behind it, so at most the limit is ever buffered, and hands the
    form an OversizedUpload instead of the file.
    """

    received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > conf.MAX_UPLOAD_BYTES:
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.received > conf.MAX_UPLOAD_BYTES:
            return OversizedUpload(
                self.file_name or "", self.content_type or "", self.received
            )
        return None


class UploadLimitsMiddleware:
    """A request body over the photo's limit and the form's overhead is refused
    before any byte of it is read; whatever a request spooled to disk is
    removed when it ends, however it ends (a form error, an oversized file, a
    client that went away).

    Nothing reads the body before the view runs (CSRF reads the form in
    process_view), so the check holds wherever this sits in MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_request_bytes():
            limit = conf.MAX_UPLOAD_BYTES // 2**20
            return render(request, "413.html", {"limit": limit}, status=413)
        request.spooled_uploads = []  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            for upload in request.spooled_uploads:  # type: ignore[attr-defined]
                upload.close()  # a closed temporary file is deleted


class SpooledUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for large uploads, telling the request what it spooled
    (UploadLimitsMiddleware closes it), and clearing what killed processes left."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        spooled = getattr(self.request, "spooled_uploads", None)
        if spooled is not None:
            spooled.append(self.file)
        remove_stale_uploads_now_and_then()
