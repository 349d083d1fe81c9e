"""Perceptual hashes of photos (Pillow only): what stays the same when a photo
is saved again, resized or cropped a little.

The hash is imagehash.phash's "pHash": the image in grey at 32 x 32, its
2-D DCT-II, and of the 8 x 8 lowest frequencies one bit each, set where the
coefficient is above their median (the same bits, but where coefficients tie
with the median, as in a mirror-symmetric picture). Two photos are the same
picture when their hashes differ in at most MATCH_BITS of the 64.

Written here rather than taken from imagehash, which computes the DCT with
SciPy: numpy and SciPy in every decoding child would take 168 MB of the data
segment its memory limit counts (the README's "A removed photo stays
removed").
"""

import math
import operator
import statistics
from collections.abc import Iterable, Sequence

from PIL import Image, ImageStat

SIDE = 32
LOW = 8
BITS = LOW * LOW
MATCH_BITS = 8
# Below this spread of grey (out of 255) a picture is nearly flat: every such
# picture hashes alike, so it gets no hash and never matches.
MIN_SPREAD = 6.0

# _COSINES[k][n]: the DCT-II basis, cos(pi k (2n + 1) / 2N), for the low k only.
_COSINES = [
    [math.cos(math.pi * k * (2 * n + 1) / (2 * SIDE)) for n in range(SIDE)]
    for k in range(LOW)
]


def _dot(a: list[float], b: list[float]) -> float:
    return math.fsum(map(operator.mul, a, b))


def phash(im: Image.Image) -> int | None:
    """The 64-bit perceptual hash of `im` (any mode), or None for a picture
    too plain to tell from others."""
    grey = im.convert("L").resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    if ImageStat.Stat(grey).stddev[0] < MIN_SPREAD:
        return None
    pixels = [float(value) for value in grey.get_flattened_data()]  # type: ignore[arg-type]
    columns = [pixels[n::SIDE] for n in range(SIDE)]
    # Down the columns first (scipy's axis 0), then along what that gives.
    down = [[_dot(basis, column) for column in columns] for basis in _COSINES]
    low = [[_dot(basis, row) for basis in _COSINES] for row in down]
    coefficients = [value for row in low for value in row]
    median = statistics.median(coefficients)
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > median)
    return bits


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (a ^ b).bit_count()


def matches(a: int, b: int) -> bool:
    return distance(a, b) <= MATCH_BITS


def any_match(kept: Sequence[int], hashes: Iterable[int]) -> bool:
    """Whether any of `hashes` is within MATCH_BITS of any of `kept`: one
    pass over `kept` a hash (the blocklist's check; inlined, as it runs over
    every blocked hash)."""
    return any(
        (bits ^ other).bit_count() <= MATCH_BITS for bits in hashes for other in kept
    )


def as_text(hashes: "list[int]") -> str:
    """Hashes as a row stores them: hexadecimal, separated by spaces."""
    return " ".join(f"{bits:016x}" for bits in hashes)


def from_text(text: str) -> list[int]:
    return [int(word, 16) for word in text.split()]
