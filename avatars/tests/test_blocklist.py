"""The blocklist: a photo moderators removed is refused again when saved
again, resized, cropped by up to 3 % or cut to its square; another photo and
a flat one are not."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image

from avatars import blocklist, fingerprints, images, storage
from avatars.models import BlockedPhoto
from testing import image_factory

pytestmark = pytest.mark.django_db

User = get_user_model()
PHOTO = image_factory.scene((1600, 1200), seed=11)


def hashes_of(im: Image.Image, crop: images.Crop | None = None) -> images.Hashes:
    """What the worker finds in a photo: decoded from a JPEG, as uploaded."""
    hashes = images.Hashes()
    data = image_factory.jpeg_from(im.convert("RGB"))
    images.make_thumbnails(io.BytesIO(data), crop, hashes=hashes)
    return hashes


@pytest.fixture
def person():
    return User.objects.create_user("ren", "ren@example.com", "x")


@pytest.fixture
def removed(person):
    """PHOTO was shown with the square on its right, and moderators removed it."""
    kept = hashes_of(PHOTO, images.Crop(900, 300, 700)).kept()
    return blocklist.block(person.pk, fingerprints.as_text(kept), "avatars/x")


def cut(im: Image.Image, left=0.0, top=0.0, right=0.0, bottom=0.0) -> Image.Image:
    width, height = im.size
    return im.crop(
        (
            round(width * left),
            round(height * top),
            width - round(width * right),
            height - round(height * bottom),
        )
    )


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(lambda: PHOTO, id="the same photo"),
        pytest.param(lambda: PHOTO.resize((400, 300)), id="resized"),
        pytest.param(
            lambda: Image.open(io.BytesIO(image_factory.encode(PHOTO, "WEBP"))),
            id="saved again as WebP",
        ),
        pytest.param(lambda: cut(PHOTO, left=0.03), id="3% cut at the left"),
        pytest.param(lambda: cut(PHOTO, top=0.03), id="3% cut at the top"),
        pytest.param(lambda: cut(PHOTO, right=0.03), id="3% cut at the right"),
        pytest.param(lambda: cut(PHOTO, bottom=0.03), id="3% cut at the bottom"),
        pytest.param(
            lambda: cut(PHOTO, 0.0076, 0.0076, 0.0076, 0.0076), id="3% cut around"
        ),
        pytest.param(
            lambda: PHOTO.crop((900, 300, 1600, 1000)), id="only the square shown"
        ),
    ],
)
def test_copies_of_a_removed_photo_are_caught(removed, copy):
    assert blocklist.is_blocked(hashes_of(copy()))


def test_the_removed_photo_with_another_square_chosen_is_caught(removed):
    assert blocklist.is_blocked(hashes_of(PHOTO, images.Crop(0, 0, 1200)))


def test_another_photo_is_not_caught(removed):
    for seed in range(12, 20):
        assert not blocklist.is_blocked(hashes_of(image_factory.scene(seed=seed)))


def test_a_flat_photo_is_neither_blocked_nor_caught(person, removed):
    flat = Image.new("RGB", (1200, 900), (90, 90, 90))
    hashes = hashes_of(flat)

    assert blocklist.block(person.pk, fingerprints.as_text(hashes.kept()), "") is None
    assert not blocklist.is_blocked(hashes)
    assert BlockedPhoto.objects.count() == 1


def test_a_photo_shown_before_hashing_is_blocked_from_its_thumbnail(person):
    made = images.make_thumbnails(io.BytesIO(image_factory.jpeg_from(PHOTO)))
    stem = storage.new_thumbnail_stem()
    for side, thumbnail in made.items():
        storages["default"].save(
            storage.thumbnail_name(stem, side), ContentFile(thumbnail.data)
        )

    entry = blocklist.block(person.pk, "", stem)

    assert entry is not None and len(entry.hashes.split()) == 1
    assert blocklist.is_blocked(hashes_of(PHOTO))
    assert blocklist.is_blocked(hashes_of(PHOTO.resize((800, 600))))


def test_a_thumbnail_that_cannot_be_read_blocks_nothing(person):
    assert blocklist.block(person.pk, "", "avatars/gone") is None
    assert not BlockedPhoto.objects.exists()


def test_a_lifted_entry_lets_the_photo_in_again(removed):
    assert blocklist.lift([removed]) == 1

    assert not blocklist.is_blocked(hashes_of(PHOTO))


def test_the_block_outlives_the_account(person, removed):
    person.delete()

    assert blocklist.is_blocked(hashes_of(PHOTO))


def test_blocks_and_lifts_made_elsewhere_are_seen_at_once(person, removed):
    other = image_factory.scene(seed=40)
    assert blocklist.is_blocked(hashes_of(PHOTO))
    assert not blocklist.is_blocked(hashes_of(other))

    # As another process would: straight to the table.
    kept = fingerprints.as_text(hashes_of(other).kept())
    BlockedPhoto.objects.create(user=person, hashes=kept)
    assert blocklist.is_blocked(hashes_of(other))
    BlockedPhoto.objects.filter(pk=removed.pk).delete()
    assert not blocklist.is_blocked(hashes_of(PHOTO))
    assert blocklist.is_blocked(hashes_of(other))
