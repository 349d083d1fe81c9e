"""Check uploaded photos and turn them into small WebP thumbnails (Pillow only)."""

import io
import math
import os
import struct
import time
from dataclasses import dataclass, field
from typing import IO

import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from avatars import fingerprints

pillow_heif.register_heif_opener()

OUTPUT_FORMAT = "WEBP"
OUTPUT_EXTENSION = ".webp"
# Avatars are squares shown at these sizes in CSS pixels (profile, lists, the top
# bar), each made at 1x and 2x: these pixel sizes, largest first.
DISPLAY_SIZES = (300, 96, 32)
PIXEL_SIZES = tuple(
    sorted({n * scale for n in DISPLAY_SIZES for scale in (1, 2)})[::-1]
)
# The smallest square a person may choose, in the photo's pixels.
MIN_CROP = 32

# What the big products take. TIFF and BMP are refused: their decoders are the
# slowest for their size (BMP's RLE in pure Python, TIFF tags pointing at
# millions of values), and phones and cameras do not produce them.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "HEIF"})
# Each limit keeps the worker's peak memory for one photo under about 250 MB. The
# comments give the peak measured, in bytes a pixel, for the worst case we tried.
MAX_PIXELS = {
    "JPEG": 120_000_000,  # ~0.2: decoded at 1/2, 1/4 or 1/8 size (draft)
    # libjpeg keeps every coefficient of a progressive JPEG, whatever the draft.
    "progressive JPEG": 30_000_000,  # 3.1 (4:2:0), 6 (4:4:4), 8 (CMYK)
    "PNG": 40_000_000,  # 4.5 (RGBA)
    "GIF": 40_000_000,  # 1.5
    "HEIF": 25_000_000,  # 7.3, 9.2 with alpha: libheif's copy, then Pillow's
    "WEBP": 15_000_000,  # 15.3: libwebp's canvas and frame copies, then Pillow's
}
# Pillow warns above this and refuses above twice this. Our limits above are the
# real ones; this only keeps Pillow from warning about a JPEG we accept.
Image.MAX_IMAGE_PIXELS = max(MAX_PIXELS.values())
# A JPEG sent as many scans (progressive, or a crafted baseline one) can make
# libjpeg buffer the whole image however small the draft. Past this libjpeg stops
# with an error instead of exhausting the worker's memory.
os.environ.setdefault("JPEGMEM", "200M")

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Method 4 (the default) took twice as long for files 3% smaller.
_WEBP_OPTIONS = {"quality": 80, "method": 2}
# What each EXIF orientation needs to come out upright, as in ImageOps.exif_transpose.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What Pillow and its plugins raise for a file that is damaged or lies about itself.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)

# libjpeg decodes every scan over the whole image, and warns only about scans
# that repeat: a file of a few hundred KB can cost minutes. Cameras and phones
# write 1 (baseline) or about 10 (progressive); MPO files hold a few images.
MAX_JPEG_SCANS = 64
_CHUNK = 1024 * 1024

_EMPTY = "This file is empty."
_NOT_AN_IMAGE = (
    "This file is not a photo we can read. "
    "Please upload a JPEG, PNG, HEIC, WebP or GIF image."
)
_REFUSED_FORMAT = (
    "%s files are not accepted. Please save the photo as a JPEG or PNG and upload that."
)
_TOO_MANY_SCANS = (
    "This JPEG is built in an unusual way (%d scans) that would take too long "
    "to process. Please save it again as a regular JPEG and upload that."
)
# The first bytes of formats we refuse by name, so the message can name them.
_REFUSED_SIGNATURES = {b"II*\0": "TIFF", b"MM\0*": "TIFF", b"BM": "BMP"}
_DAMAGED = "This photo file is damaged or incomplete, so it could not be read."


class ImageRejected(Exception):
    """A file we will not process. str(exc) / exc.message is a short sentence a
    person understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    """An upload as a person sees it: width and height once turned upright."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class Crop:
    """A square of the upright image: left, top and side, in its pixels."""

    x: int
    y: int
    size: int

    @classmethod
    def centred(cls, width: int, height: int) -> "Crop":
        """The largest square in the middle: what is cut when nobody chose."""
        size = min(width, height)
        return cls((width - size) // 2, (height - size) // 2, size)

    def fits(self, width: int, height: int) -> bool:
        return (
            self.x >= 0
            and self.y >= 0
            and self.size >= min(MIN_CROP, width, height)
            and self.x + self.size <= width
            and self.y + self.size <= height
        )


@dataclass(frozen=True)
class Thumbnail:
    width: int
    height: int
    data: bytes  # encoded WebP


def inspect_image(fp: IO[bytes]) -> ImageInfo:
    """Identify an upload from its header alone, or raise ImageRejected."""
    try:
        fp.seek(0, io.SEEK_END)
        if fp.tell() == 0:
            raise ImageRejected(_EMPTY)
        fp.seek(0)
        head = fp.read(4)
        for signature, name in _REFUSED_SIGNATURES.items():
            if head.startswith(signature):
                raise ImageRejected(_REFUSED_FORMAT % name)
        fp.seek(0)
        with _open(fp) as im:
            _check_pixels(im)
            width, height = _upright_size(im.size, _orientation_of(im))
            info = ImageInfo(_format_of(im), width, height)
        if info.format == "JPEG":
            _check_scans(fp)
        return info
    finally:
        fp.seek(0)


STEPS = ("decode", "resize", "encode")
# The whole photo is hashed from a copy shrunk to fit this (fingerprints.SIDE
# from there loses nothing the hash keeps).
_HASHED_SIDE = 128


# A photo cropped by up to this much hashes within fingerprints.MATCH_BITS of
# the copy cut this much at the same side, rarely of the whole photo (in 160
# crops of 40 scenes: at most 8 bits from the whole, 2 from the nearest cut).
CROP_MARGIN = 0.03


@dataclass
class Hashes:
    """The perceptual hashes (avatars.fingerprints) of a photo, each None for
    a nearly flat picture: of the whole upright photo, of the square cut from
    it, and of the photo cut by CROP_MARGIN at each side (left, top, right,
    bottom), which a blocklist keeps to catch cropped copies."""

    photo: int | None = None
    square: int | None = None
    cut: list[int | None] = field(default_factory=list)

    def own(self) -> list[int]:
        """What a new photo is checked by."""
        return [h for h in (self.photo, self.square) if h is not None]

    def kept(self) -> list[int]:
        """What is kept of a photo shown, for the blocklist should it be removed."""
        return [h for h in (self.photo, *self.cut, self.square) if h is not None]


class _StepClock:
    """Adds the time since the last mark to the step named, in `seconds`."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        for step in STEPS:
            seconds.setdefault(step, 0.0)
        self.last = time.perf_counter()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self.last
        self.last = now


def make_thumbnails(
    fp: IO[bytes],
    crop: Crop | None = None,
    timings: dict[str, float] | None = None,
    hashes: Hashes | None = None,
) -> dict[int, Thumbnail]:
    """Decode an upload once and return its square, upright sRGB WebP thumbnails,
    by side in pixels (PIXEL_SIZES).

    `timings`, when given, receives the seconds each step took (STEPS): reading
    the pixels, cutting and resizing (colour conversion included), encoding.

    The square is `crop`, in the upright image's pixels, or the centred one; a
    crop that does not fit is taken as no choice. A square smaller than a size
    is not enlarged: that thumbnail is the square itself. Raises ImageRejected
    for a file that cannot be decoded. An OSError raised by fp itself cannot be
    told apart from a damaged file and is reported as one.
    """
    fp.seek(0)
    clock = _StepClock({} if timings is None else timings)
    try:
        with _open(fp) as im:
            _check_pixels(im)
            largest = _decode_square(im, crop, PIXEL_SIZES[0], clock, hashes)
    except _DECODE_ERRORS as exc:
        raise ImageRejected(_DAMAGED) from exc
    if hashes is not None:
        hashes.square = fingerprints.phash(largest)
        clock.mark("hash")
    thumbnails = {}
    im = largest
    for side in PIXEL_SIZES:
        # Each from the one before (at most twice its size): as sharp as from
        # the largest (over 45 dB PSNR apart), for half the work.
        wanted = min(side, largest.width)
        if wanted != im.width:
            im = im.resize((wanted, wanted), Image.Resampling.LANCZOS)
        clock.mark("resize")
        thumbnails[side] = _encode(im)
        clock.mark("encode")
    return thumbnails


def _open(fp: IO[bytes]) -> Image.Image:
    """Open an image in an accepted format, reading its header only.

    Use it in a with block: im.close() would close fp too.
    """
    try:
        return Image.open(fp, formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_too_many_pixels()) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise ImageRejected(_NOT_AN_IMAGE) from exc


def _check_scans(fp: IO[bytes]) -> None:
    """Count the JPEG's start-of-scan markers without decoding anything.

    Inside compressed data a 0xFF byte is always followed by 0x00 or a restart
    marker, so FF DA is a scan (or one of an embedded thumbnail's few)."""
    fp.seek(0)
    scans, tail = 0, b""
    while chunk := fp.read(_CHUNK):
        scans += (tail + chunk).count(b"\xff\xda")
        tail = chunk[-1:] if chunk[-1:] == b"\xff" else b""
        if scans > MAX_JPEG_SCANS:
            raise ImageRejected(_TOO_MANY_SCANS % scans)


def _check_pixels(im: Image.Image) -> None:
    if im.width * im.height > MAX_PIXELS[_kind_of(im)]:
        raise ImageRejected(_too_many_pixels(im))


def _format_of(im: Image.Image) -> str:
    # A JPEG with extra pictures in it (many phone and camera photos) opens as "MPO".
    return "JPEG" if im.format == "MPO" else str(im.format)


def _kind_of(im: Image.Image) -> str:
    """The key of im's limit in MAX_PIXELS."""
    format = _format_of(im)
    if format == "JPEG" and im.info.get("progressive"):
        return "progressive JPEG"
    return format


def _too_many_pixels(im: Image.Image | None = None) -> str:
    if im is None:  # Pillow refused it before we learned its size or format
        accepted = max(MAX_PIXELS.values())
        refused = 2 * accepted  # Image.MAX_IMAGE_PIXELS is set to `accepted`
        return (
            f"This image is far too large (over {refused // 10**6} megapixels). "
            f"We accept images of up to {accepted / 10**6:g} megapixels."
        )
    kind = _kind_of(im)
    return (
        f"This image is too large ({im.width} × {im.height} pixels, "
        f"{im.width * im.height / 10**6:.3g} megapixels). We accept {kind} images "
        f"of up to {MAX_PIXELS[kind] / 10**6:g} megapixels."
    )


def _orientation_of(im: Image.Image) -> int:
    orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
    return orientation if orientation in _UPRIGHT else 1


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    width, height = size
    return (height, width) if orientation >= 5 else (width, height)


def _stored_box(
    crop: Crop, size: tuple[int, int], orientation: int
) -> tuple[int, int, int, int]:
    """The crop, given in the upright image, as a box of the image as stored.

    The square is cut before the image is turned: turning the full-size image
    would copy all of it. `size` is the stored image's.
    """
    width, height = size
    x, y, side = crop.x, crop.y, crop.size
    left, top = {
        1: (x, y),
        2: (width - x - side, y),  # mirrored
        3: (width - x - side, height - y - side),  # upside down
        4: (x, height - y - side),  # flipped
        5: (y, x),  # transposed
        6: (y, height - x - side),  # turned a quarter clockwise to show
        7: (width - y - side, height - x - side),  # transversed
        8: (width - y - side, x),  # turned a quarter anticlockwise to show
    }[orientation]
    return left, top, left + side, top + side


def _decode_square(
    im: Image.Image,
    crop: Crop | None,
    side: int,
    clock: _StepClock,
    hashes: Hashes | None = None,
) -> Image.Image:
    """Decode im's square, upright, in sRGB, shrunk to at most side x side;
    the whole upright photo's hash goes into `hashes`, when given."""
    orientation = _orientation_of(im)
    upright = _upright_size(im.size, orientation)
    if crop is None or not crop.fits(*upright):
        crop = Crop.centred(*upright)
    stored_size = im.size
    if _format_of(im) == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 size while keeping at least twice
        # the square's pixels we need: the reduction follows the square, not the
        # whole image (a small square of a big photo needs more of its pixels).
        scale = min(1.0, 2 * side / crop.size)
        im.draft(None, (math.ceil(im.width * scale), math.ceil(im.height * scale)))
    icc_profile = im.info.get("icc_profile")
    im.load()
    clock.mark("decode")
    if hashes is not None:
        whole = _shrink(im, _HASHED_SIDE)
        if orientation in _UPRIGHT:
            whole = whole.transpose(_UPRIGHT[orientation])
        hashes.photo = fingerprints.phash(whole)
        hashes.cut = [fingerprints.phash(whole.crop(box)) for box in _cuts(whole)]
        clock.mark("hash")
    # The draft may have reduced the image: the square shrinks with it.
    ratio = im.width / stored_size[0]
    left, top, _, _ = _stored_box(crop, stored_size, orientation)
    left, top = round(left * ratio), round(top * ratio)
    size = max(1, min(round(crop.size * ratio), im.width - left, im.height - top))
    square = im.crop((left, top, left + size, top + size))
    square = _shrink(square, side)
    if orientation in _UPRIGHT:
        square = square.transpose(_UPRIGHT[orientation])
    return _to_srgb(square, icc_profile)


def _cuts(im: Image.Image) -> list[tuple[int, int, int, int]]:
    """The boxes of im cut by CROP_MARGIN at its left, top, right and bottom."""
    width, height = im.size
    across, down = round(width * CROP_MARGIN), round(height * CROP_MARGIN)
    return [
        (across, 0, width, height),
        (0, down, width, height),
        (0, 0, width - across, height),
        (0, 0, width, height - down),
    ]


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size that fits within box x box, keeping the aspect ratio, never larger."""
    width, height = size
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(im: Image.Image, box: int) -> Image.Image:
    """Resize to fit within box x box, in an 8-bit mode (L, LA, RGB, RGBA, CMYK).

    A big image is first reduced by an integer factor (a box average) to 1.25-2.5x
    the final size: LANCZOS from there is as good as from full size (measured 48-50
    dB PSNR apart) and much faster. That goes a strip at a time, converting each
    strip: converting the whole image, or premultiplying its alpha as resize() does,
    would hold a second full-size copy.
    """
    size = _fit(im.size, box)
    factor = max(1, int(min(im.width / size[0], im.height / size[1]) / 1.25))
    rows = 64 * factor
    reduced = None
    for top in range(0, im.height, rows):
        strip = im.crop((0, top, im.width, min(top + rows, im.height)))
        strip = _eight_bit(strip).reduce(factor)
        if reduced is None:
            reduced_size = (-(-im.width // factor), -(-im.height // factor))
            reduced = Image.new(strip.mode, reduced_size, None)
        reduced.paste(strip, (0, top // factor))
    assert reduced is not None
    exact_box = (0, 0, im.width / factor, im.height / factor)
    return reduced.resize(size, Image.Resampling.LANCZOS, box=exact_box)


def _eight_bit(im: Image.Image) -> Image.Image:
    """Convert to a mode that resize and ImageCms handle well: L, LA, RGB, RGBA or
    CMYK, all 8 bits a channel."""
    if im.mode in ("L", "LA", "RGB", "RGBA", "CMYK") and "transparency" not in im.info:
        return im
    if im.mode in ("I", "I;16"):
        # convert("L") would clip everything above 255 to white; scale instead.
        return im.point(lambda value: value / 257 + 0.5).convert("L")
    if im.mode.startswith("I;16"):
        return _eight_bit(im.convert("I"))
    if im.mode == "1":
        return im.convert("L")
    has_alpha = "A" in im.mode or "a" in im.mode or "transparency" in im.info
    return im.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert to RGB or RGBA in sRGB; pixels without a usable profile are sRGB."""
    mode = "RGBA" if im.mode in ("LA", "RGBA") else "RGB"
    if icc_profile:
        try:
            source = ImageCms.getOpenProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=mode)
            if converted is not None:  # None only when converting in place
                return converted
        except ImageCms.PyCMSError:
            pass  # broken, or for another colour space than the pixels: ignore it
    return im.convert(mode)


def _encode(im: Image.Image) -> Thumbnail:
    # The WebP encoder writes only the metadata passed to save(), never im.info;
    # empty both so no EXIF, XMP or ICC profile of the upload can reach the output.
    im.info.clear()
    buffer = io.BytesIO()
    im.save(buffer, OUTPUT_FORMAT, exif=b"", xmp=b"", icc_profile=None, **_WEBP_OPTIONS)
    return Thumbnail(im.width, im.height, buffer.getvalue())
