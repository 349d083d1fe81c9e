"""Where a photo's bytes live: atomic writes, the size-limited upload handler,
and removal once the change that orphaned a file has committed."""

import errno
import io
import os
import tempfile
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction


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


def delete_files_on_commit(
    originals: Iterable[str | None] = (), thumbnails: Iterable[str | None] = ()
) -> None:
    """Remove files once the change that orphaned them has committed."""
    doomed = [("uploads", name) for name in originals if name]
    doomed += [("default", name) for name in thumbnails if name]
    if doomed:
        transaction.on_commit(lambda: _delete_files(doomed), robust=True)


def _delete_files(doomed: list[tuple[str, str]]) -> None:
    for alias, name in doomed:
        storages[alias].delete(name)
