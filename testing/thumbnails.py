"""Thumbnail files as the worker writes them, for tests that play its part."""

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from avatars.images import PIXEL_SIZES
from avatars.storage import new_thumbnail_stem, thumbnail_name, thumbnail_names


def write_thumbnails(files: dict[int, bytes] | None = None) -> str:
    """Every size of one photo's thumbnails: `files` by side, or placeholders
    that hold b"RIFF-<side>". Returns their stem, as the worker's outcome names it."""
    media = storages["default"]
    stem = new_thumbnail_stem()
    for side in PIXEL_SIZES:
        data = files[side] if files else f"RIFF-{side}".encode()
        media.save(thumbnail_name(stem, side), ContentFile(data))
    return stem


def any_exist(stem: str) -> bool:
    media = storages["default"]
    return any(media.exists(name) for name in thumbnail_names(stem))
