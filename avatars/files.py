"""Where a photo's bytes live: the request's size limits, uploads spooled to disk
and removed when their request ends, atomic writes, and removal once the change
that orphaned a file has committed."""

import errno
import io
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    TemporaryFileUploadHandler,
)
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from avatars import images

logger = logging.getLogger(__name__)

# Spooled uploads older than this belong to no request still running.
STALE_UPLOAD_SECONDS = 3600


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all.

    Django writes straight into the final path, so a reader could see a
    half-written thumbnail. Here the bytes go to a temporary file in the same
    folder, which is then linked into place: a rename on the same file system.
    """

    def _save(self, name: str, content: "File[Any]") -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            os.chmod(directory, self.directory_permissions_mode)
        if hasattr(content, "temporary_file_path"):
            # A large upload already sits whole in a temporary file: on the same
            # file system a hard link puts it in place without copying it.
            try:
                return self._link_into_place(name, content.temporary_file_path())
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as temp_file:
                for chunk in content.chunks():
                    temp_file.write(chunk)
            return self._link_into_place(name, temp_path)
        finally:
            os.unlink(temp_path)

    def _link_into_place(self, name: str, source: str) -> str:
        os.chmod(source, self.file_permissions_mode or 0o644)
        while True:
            try:
                # link() refuses to replace an existing file, unlike rename().
                os.link(source, self.path(name))
                return str(name).replace("\\", "/")
            except FileExistsError:
                name = self.get_available_name(name)


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
        if self.received > settings.AVATAR_MAX_UPLOAD_BYTES:
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.received > settings.AVATAR_MAX_UPLOAD_BYTES:
            return OversizedUpload(
                self.file_name or "", self.content_type or "", self.received
            )
        return None


def thumbnail_name(stem: str, side: int) -> str:
    """The file of one size of a photo's square thumbnails."""
    return f"{stem}-{side}{images.OUTPUT_EXTENSION}"


def thumbnail_names(stem: str | None) -> list[str]:
    return [thumbnail_name(stem, side) for side in images.PIXEL_SIZES] if stem else []


def new_thumbnail_stem() -> str:
    # Never derived from anything the user sent; new for every photo, so its
    # URLs are too and no cache can show an old one.
    return f"avatars/{uuid.uuid4().hex}"


def delete_files_on_commit(
    originals: Iterable[str | None] = (), thumbnail_stems: Iterable[str | None] = ()
) -> None:
    """Remove files once the change that orphaned them has committed."""
    doomed = [("uploads", name) for name in originals if name]
    for stem in thumbnail_stems:
        doomed += [("default", name) for name in thumbnail_names(stem)]
    if doomed:
        transaction.on_commit(lambda: _delete_files(doomed), robust=True)


def _delete_files(doomed: list[tuple[str, str]]) -> None:
    for alias, name in doomed:
        storages[alias].delete(name)


class UploadLimitsMiddleware:
    """A request body over AVATAR_MAX_REQUEST_BYTES is refused before any byte
    of it is read; whatever a request spooled to disk is removed when it ends,
    however it ends (a form error, an oversized file, a client that went away).

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
        if declared > settings.AVATAR_MAX_REQUEST_BYTES:
            limit = settings.AVATAR_MAX_UPLOAD_BYTES // 2**20
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


def remove_stale_uploads(folder: Path, older_than: float = STALE_UPLOAD_SECONDS) -> int:
    """Delete spooled uploads older than `older_than` seconds: left behind by a
    process that was killed mid-request. Runs at start-up and now and then."""
    cutoff = time.time() - older_than
    removed = 0
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # another process got there first
            pass
    if removed:
        logger.info("removed %d stale spooled uploads from %s", removed, folder)
    return removed


_last_removal = {"at": float("-inf")}
_removal_lock = threading.Lock()


def remove_stale_uploads_now_and_then() -> None:
    """remove_stale_uploads, at most every ten minutes in this process."""
    with _removal_lock:
        if time.monotonic() - _last_removal["at"] < 600:
            return
        _last_removal["at"] = time.monotonic()
    remove_stale_uploads(Path(settings.FILE_UPLOAD_TEMP_DIR))
