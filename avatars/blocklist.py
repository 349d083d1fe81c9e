"""Photos moderators removed, kept as their perceptual hashes so that the same
picture cannot simply be uploaded again: the only writer of BlockedPhoto.

Every new photo's two hashes (the whole upright photo and the chosen square)
are compared with both of every entry's: a copy cropped to a square, or a
square uploaded on its own, is caught as well as a copy saved again.
"""

import logging
from typing import Any

from django.core.files.storage import storages
from django.db.models import Count, Max
from PIL import Image, UnidentifiedImageError

from avatars import fingerprints, images, storage
from avatars.models import BlockedPhoto

logger = logging.getLogger(__name__)

REMOVED = "This photo was removed by the site's moderators."


# The blocked hashes as this process last read them, and which version of the
# table that was: the worker reads them again only after a change.
_loaded: tuple[tuple[Any, ...], list[int]] = ((), [])


def blocked_hashes() -> list[int]:
    """Every hash the blocklist keeps. Checked against the table's count and
    newest entry, so a block or a lift in another process is seen at once."""
    global _loaded
    version = BlockedPhoto.objects.aggregate(
        count=Count("pk"), newest=Max("blocked_at"), last=Max("pk")
    )
    key = (version["count"], version["newest"], version["last"])
    if _loaded[0] != key:
        texts = BlockedPhoto.objects.values_list("hashes", flat=True)
        hashes = [
            bits
            for text in texts.iterator(chunk_size=10_000)
            for bits in fingerprints.from_text(text)
        ]
        _loaded = (key, hashes)
    return _loaded[1]


def is_blocked(hashes: images.Hashes) -> bool:
    """Whether the photo's own hashes come within fingerprints.MATCH_BITS of
    any a blocked photo kept."""
    own = hashes.own()
    if not own:
        return False  # nearly flat: too plain to tell from anything
    return any(
        fingerprints.matches(kept, new) for kept in blocked_hashes() for new in own
    )


def hash_of_thumbnail(stem: str) -> int | None:
    """The square's hash from its largest thumbnail: for a photo processed
    before photos were hashed. Our own WebP, so no sandbox is needed."""
    name = storage.thumbnail_name(stem, images.PIXEL_SIZES[0])
    try:
        with storages["default"].open(name) as file, Image.open(file) as im:
            return fingerprints.phash(im)
    except (OSError, UnidentifiedImageError):
        logger.warning("thumbnail %s could not be read for its hash", name)
        return None


def block(user_id: int, hashes: str, thumbnails: str) -> BlockedPhoto | None:
    """Block the photo with these hashes (as its Avatar row keeps them) or,
    without any, the one whose thumbnails these are. Called by
    avatars.state.remove_photo, before the files go."""
    if not hashes and thumbnails:
        square = hash_of_thumbnail(thumbnails)
        hashes = fingerprints.as_text([square] if square is not None else [])
    if not hashes:
        logger.info("user %s: photo removed, too plain or unread to block", user_id)
        return None
    return BlockedPhoto.objects.create(user_id=user_id, hashes=hashes)


def lift(entries: list[BlockedPhoto]) -> int:
    """Let these photos be uploaded again; returns how many were lifted."""
    deleted, _ = BlockedPhoto.objects.filter(pk__in=[e.pk for e in entries]).delete()
    return deleted
