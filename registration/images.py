"""Check uploaded photos and turn them into small WebP thumbnails (Pillow only)."""

import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageCms, ImageOps

pillow_heif.register_heif_opener()

OUTPUT_FORMAT = "WEBP"
OUTPUT_EXTENSION = ".webp"
OUTPUT_CONTENT_TYPE = "image/webp"
THUMBNAIL_BOXES = (600, 300)  # 2x then 1x: fit within 600x600 and 300x300

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF"})
# JPEGs are decoded at 1/2, 1/4 or 1/8 size (draft), so they may have more pixels;
# every other format is decoded in full.
MAX_PIXELS = {
    "JPEG": 120_000_000,
    "PNG": 40_000_000,
    "WEBP": 40_000_000,
    "GIF": 40_000_000,
    "BMP": 40_000_000,
    "TIFF": 40_000_000,
    "HEIF": 40_000_000,
}
# Pillow warns above this and refuses above twice this. Our own limits are stricter
# per format; this only keeps Pillow from warning about a JPEG we accept.
Image.MAX_IMAGE_PIXELS = max(MAX_PIXELS.values())

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_WEBP_OPTIONS = {"quality": 80, "method": 4}
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

_EMPTY = "This file is empty."
_NOT_AN_IMAGE = (
    "This file is not a photo we can read. "
    "Please upload a JPEG, PNG, HEIC, WebP, GIF, BMP or TIFF image."
)
_DAMAGED = "This photo file is damaged or incomplete, so it could not be read."


class ImageRejected(Exception):
    """A file we will not process. str(exc) / exc.message is a short sentence a
    person understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class Thumbnail:
    width: int
    height: int
    data: bytes  # encoded WebP


def inspect_image(fp: BinaryIO) -> ImageInfo:
    """Identify an upload from its header alone, or raise ImageRejected."""
    try:
        fp.seek(0, io.SEEK_END)
        if fp.tell() == 0:
            raise ImageRejected(_EMPTY)
        fp.seek(0)
        with _open(fp) as im:
            _check_pixels(im)
            return ImageInfo(_format_of(im), im.width, im.height)
    finally:
        fp.seek(0)


def make_thumbnails(fp: BinaryIO) -> tuple[Thumbnail, Thumbnail]:
    """Decode an upload once and return (2x, 1x) upright sRGB WebP thumbnails.

    Raises ImageRejected for a file that cannot be decoded. An OSError raised by fp
    itself cannot be told apart from a damaged file and is reported as one.
    """
    fp.seek(0)
    try:
        with _open(fp) as im:
            _check_pixels(im)
            large = _decode_within(im, THUMBNAIL_BOXES[0])
    except _DECODE_ERRORS as exc:
        raise ImageRejected(_DAMAGED) from exc
    small = large.resize(_fit(large.size, THUMBNAIL_BOXES[1]), Image.Resampling.LANCZOS)
    return _encode(large), _encode(small)


def _open(fp: BinaryIO) -> Image.Image:
    """Open an image in an accepted format, reading its header only.

    Use it in a with block: im.close() would close fp too.
    """
    try:
        return Image.open(fp, formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_too_many_pixels()) from exc
    except (Image.UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise ImageRejected(_NOT_AN_IMAGE) from exc


def _check_pixels(im: Image.Image) -> None:
    if im.width * im.height > MAX_PIXELS[_format_of(im)]:
        raise ImageRejected(_too_many_pixels(im))


def _format_of(im: Image.Image) -> str:
    # A JPEG with extra pictures in it (many phone and camera photos) opens as "MPO".
    return "JPEG" if im.format == "MPO" else str(im.format)


def _too_many_pixels(im: Image.Image | None = None) -> str:
    if im is None:  # Pillow refused it before we learned its size or format
        return (
            f"This image is far too large (over {2 * Image.MAX_IMAGE_PIXELS // 10**6} "
            f"megapixels). We accept at most {max(MAX_PIXELS.values()) // 10**6} "
            "megapixels."
        )
    format = _format_of(im)
    return (
        f"This image is too large ({im.width} × {im.height} pixels, "
        f"{im.width * im.height / 10**6:.3g} megapixels). {format} images can have "
        f"at most {MAX_PIXELS[format] // 10**6} megapixels."
    )


def _decode_within(im: Image.Image, box: int) -> Image.Image:
    """Decode im, upright, in sRGB, and shrunk to fit within box x box."""
    if _format_of(im) == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 size while keeping at least twice
        # the pixels we need. The box is square, so orientation does not matter.
        width, height = _fit(im.size, box)
        im.draft(None, (2 * width, 2 * height))
    icc_profile = im.info.get("icc_profile")
    ImageOps.exif_transpose(im, in_place=True)
    im = _eight_bit(im)
    im = im.resize(_fit(im.size, box), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _to_srgb(im, icc_profile)


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size that fits within box x box, keeping the aspect ratio, never larger."""
    width, height = size
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _eight_bit(im: Image.Image) -> Image.Image:
    """Convert to a mode that resize and ImageCms handle well: L, LA, RGB, RGBA or
    CMYK, all 8 bits per channel."""
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
            return ImageCms.profileToProfile(im, source, _SRGB, outputMode=mode)
        except ImageCms.PyCMSError:
            pass  # broken, or for another colour space than the pixels: ignore it
    return im.convert(mode)


def _encode(im: Image.Image) -> Thumbnail:
    # The WebP encoder only writes metadata passed to save(), never im.info; clear
    # both so no EXIF, XMP or ICC profile of the upload can reach the output.
    im.info.clear()
    buffer = io.BytesIO()
    im.save(buffer, OUTPUT_FORMAT, exif=b"", xmp=b"", icc_profile=None, **_WEBP_OPTIONS)
    return Thumbnail(im.width, im.height, buffer.getvalue())
