"""The perceptual hash: the same picture saved again or resized hashes within
MATCH_BITS, another picture does not, a flat one has none."""

import io
import math
import statistics

import pytest
from PIL import Image

from avatars import fingerprints
from testing import image_factory


def textbook_phash(im: Image.Image) -> int:
    """pHash from the definition: the full 2-D DCT-II of the 32 x 32 grey
    image, summed term by term (no separable shortcut)."""
    grey = im.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = grey.load()
    assert pixels is not None
    coefficients = []
    for u in range(8):
        for v in range(8):
            coefficients.append(
                sum(
                    pixels[x, y]
                    * math.cos(math.pi * u * (2 * y + 1) / 64)
                    * math.cos(math.pi * v * (2 * x + 1) / 64)
                    for x in range(32)
                    for y in range(32)
                )
            )
    median = statistics.median(coefficients)
    return int("".join("1" if c > median else "0" for c in coefficients), 2)


def reopened(im: Image.Image, format: str, **params) -> Image.Image:
    return Image.open(io.BytesIO(image_factory.encode(im, format, **params)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_hash_is_the_textbook_dct_hash(seed):
    im = image_factory.scene((400, 300), seed)

    assert fingerprints.phash(im) == textbook_phash(im)


def test_the_same_picture_saved_again_or_resized_matches():
    im = image_factory.scene(seed=3)
    original = fingerprints.phash(im)
    assert original is not None

    copies = {
        "JPEG at quality 60": reopened(im, "JPEG", quality=60),
        "WebP": reopened(im, "WEBP", quality=50),
        "half the size": im.resize((600, 450)),
        "a tenth of the size": im.resize((120, 90)),
        "in grey": im.convert("L"),
    }

    for name, copy in copies.items():
        hashed = fingerprints.phash(copy)
        assert hashed is not None, name
        assert fingerprints.matches(original, hashed), name


def test_other_pictures_are_far_apart():
    hashes = [fingerprints.phash(image_factory.scene(seed=seed)) for seed in range(12)]

    distances = [
        fingerprints.distance(a, b)
        for i, a in enumerate(hashes)
        for b in hashes[i + 1 :]
        if a is not None and b is not None
    ]
    assert len(distances) == 66
    assert min(distances) > 2 * fingerprints.MATCH_BITS


@pytest.mark.parametrize(
    "flat",
    [
        Image.new("RGB", (800, 600), (200, 30, 30)),
        # A wall, a sky: almost one colour, with a camera's noise and JPEG's blocks.
        Image.blend(
            Image.new("L", (800, 600), 128), Image.effect_noise((800, 600), 20), 0.1
        ),
        reopened(Image.new("RGB", (800, 600), (250, 250, 250)), "JPEG", quality=40),
    ],
    ids=["one colour", "noise on grey", "white as a JPEG"],
)
def test_a_nearly_flat_picture_has_no_hash(flat):
    assert fingerprints.phash(flat) is None


def test_hashes_are_kept_as_text_and_read_back():
    hashes = [0, 1, 2**64 - 1, 0x8000_0000_0000_0000]

    text = fingerprints.as_text(hashes)

    assert len(text) <= 4 * 17
    assert fingerprints.from_text(text) == hashes
    assert fingerprints.from_text("") == []


def test_any_match_finds_a_hash_within_the_bits_and_no_further():
    near, far = 0b1111_1111, 0b1_1111_1111  # 8 and 9 bits from 0

    assert fingerprints.any_match([far, near], [0])
    assert not fingerprints.any_match([far], [0, 2**64 - 1])
    assert not fingerprints.any_match([], [0])
