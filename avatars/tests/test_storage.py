"""Where a photo's files live: written whole or not at all, and their names."""

import os
import re

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import TemporaryUploadedFile

from avatars import images
from avatars.storage import (
    AtomicFileSystemStorage,
    new_thumbnail_stem,
    thumbnail_name,
    thumbnail_names,
)


class BreaksHalfway(File):
    def __init__(self) -> None:
        super().__init__(None, "x.webp")

    def chunks(self, chunk_size=None):
        yield b"RIFF" + b"\0" * 1000
        raise OSError("disk full")


def test_saved_file_is_whole_and_no_temporary_file_is_left(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    name = storage.save("avatars/a.webp", ContentFile(b"x" * 100_000))
    assert storage.open(name).read() == b"x" * 100_000
    assert os.listdir(tmp_path / "avatars") == ["a.webp"]


def test_a_write_that_fails_leaves_nothing_behind(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="disk full"):
        storage.save("avatars/b.webp", BreaksHalfway())
    assert os.listdir(tmp_path / "avatars") == []


def test_an_existing_name_is_never_overwritten(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("avatars/c.webp", ContentFile(b"first"))
    second = storage.save("avatars/c.webp", ContentFile(b"second"))
    assert first != second
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_a_large_upload_is_linked_into_place_not_copied(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    storage = AtomicFileSystemStorage(location=tmp_path / "uploads")
    upload = TemporaryUploadedFile("big.jpg", "image/jpeg", 0, None)
    upload.write(b"y" * 3_000_000)
    upload.flush()

    name = storage.save("originals/big", upload)

    stored = os.stat(storage.path(name))
    assert stored.st_ino == os.stat(upload.temporary_file_path()).st_ino
    upload.close()  # Django removes its temporary name; the stored file stays
    assert storage.open(name).read() == b"y" * 3_000_000


def test_each_size_of_a_photo_is_named_after_its_stem_and_side():
    assert thumbnail_name("avatars/abc", 600) == "avatars/abc-600.webp"
    assert thumbnail_names("avatars/abc") == [
        f"avatars/abc-{side}.webp" for side in images.PIXEL_SIZES
    ]
    assert len(set(thumbnail_names("avatars/abc"))) == len(images.PIXEL_SIZES)


def test_no_stem_no_files():
    assert thumbnail_names("") == thumbnail_names(None) == []


def test_every_photo_gets_a_new_stem_in_the_avatars_folder():
    stems = {new_thumbnail_stem() for _ in range(100)}
    assert len(stems) == 100
    assert all(re.fullmatch(r"avatars/[0-9a-f]{32}", stem) for stem in stems)
