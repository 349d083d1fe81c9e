"""Where a photo's files live and what they are called: the storage that writes
them whole or not at all, and the thumbnails' names."""

import errno
import os
import tempfile
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from avatars import images

if TYPE_CHECKING:
    from avatars.models import Avatar


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


def thumbnail_name(stem: str, side: int) -> str:
    """The file of one size of a photo's square thumbnails."""
    return f"{stem}-{side}{images.OUTPUT_EXTENSION}"


def thumbnail_names(stem: str | None) -> list[str]:
    return [thumbnail_name(stem, side) for side in images.PIXEL_SIZES] if stem else []


def new_thumbnail_stem() -> str:
    # Never derived from anything the user sent; new for every photo, so its
    # URLs are too and no cache can show an old one.
    return f"avatars/{uuid.uuid4().hex}"


@dataclass(frozen=True)
class PhotoFile:
    """One file the site keeps of a person's photo."""

    storage: Storage
    name: str
    side: int | None  # the square's side in pixels; None: the uploaded original


def photo_files(avatar: "Avatar") -> list[PhotoFile]:
    """Every file kept of the avatar's photo, as its row names them: the
    square in each size made, largest first, and the original while it is
    kept (until the squares are recorded: a photo not processed yet, or one
    that failed)."""
    files = []
    if avatar.thumbnails:
        thumbnails = storages["default"]
        files = [
            PhotoFile(thumbnails, thumbnail_name(avatar.thumbnails, side), side)
            for side in images.PIXEL_SIZES
        ]
    if avatar.image.name:
        files.append(PhotoFile(avatar.image.storage, avatar.image.name, None))
    return files
