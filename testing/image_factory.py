"""Test images made in code: nothing binary is committed."""

import io
import random
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import pillow_heif
from PIL import ExifTags, Image, ImageDraw, ImageFilter

pillow_heif.register_heif_opener()

Color = int | tuple[int, ...]
Matrix = Sequence[Sequence[float]]


def encode(im: Image.Image, format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format, **params)
    return buffer.getvalue()


def photo_like(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Gradients with detail at every scale and grain: it compresses and shrinks
    about like a real photo."""

    def blobs(feature_size: int) -> Image.Image:
        grid = (max(2, size[0] // feature_size), max(2, size[1] // feature_size))
        return Image.effect_noise(grid, 80).resize(size, Image.Resampling.BICUBIC)

    grain = Image.new("L", size)
    tile = Image.effect_noise((512, 512), 40)
    for left in range(0, size[0], 512):
        for top in range(0, size[1], 512):
            grain.paste(tile, (left, top))
    detail = Image.blend(Image.blend(blobs(64), blobs(6), 0.5), grain, 0.2)
    gradients = (
        Image.linear_gradient("L").rotate(90).resize(size),
        Image.radial_gradient("L").resize(size),
        Image.linear_gradient("L").resize(size),
    )
    im = Image.merge("RGB", [Image.blend(g, detail, 0.45) for g in gradients])
    if mode == "RGBA":
        im.putalpha(Image.blend(gradients[2], detail, 0.3))
        return im
    return im.convert(mode)


def scene(size: tuple[int, int] = (1200, 900), seed: int = 0) -> Image.Image:
    """Shapes of many colours on gradients, softened: the same picture for the
    same seed, another for another seed (for perceptual hashes, which
    photo_like's grain, new on every call, would not keep still)."""
    rng = random.Random(seed)
    width, height = size
    gradient = Image.linear_gradient("L")
    im = Image.merge(
        "RGB",
        [gradient.rotate(rng.choice((0, 90, 180, 270))).resize(size) for _ in "RGB"],
    )
    draw = ImageDraw.Draw(im)
    for _ in range(20):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 16, width // 4)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x - r, y - r, x + r, y + r), fill=colour)
    return im.filter(ImageFilter.GaussianBlur(width / 400))


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif | None:
    if orientation is None and not gps:
        return None
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.Base.Make] = "TestCam"
        exif[ExifTags.Base.DateTime] = "2024:05:06 07:08:09"
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.BodySerialNumber] = "SN-123456789"
        details[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"
        location = exif.get_ifd(ExifTags.IFD.GPSInfo)
        location[ExifTags.GPS.GPSLatitudeRef] = "N"
        location[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
        location[ExifTags.GPS.GPSLongitudeRef] = "W"
        location[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.9)
    return exif


XMP_PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>Secret Photographer</dc:creator></rdf:Description>"
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def jpeg_bytes(
    size: tuple[int, int] = (640, 480),
    color: Color = (200, 30, 30),
    *,
    orientation: int | None = None,
    gps: bool = False,
    xmp: bool = False,
    comment: bytes | None = None,
    mode: str = "RGB",
    icc_profile: bytes | None = None,
    progressive: bool = False,
    quality: int = 90,
) -> bytes:
    return jpeg_from(
        Image.new(mode, size, color),
        orientation=orientation,
        gps=gps,
        xmp=xmp,
        comment=comment,
        icc_profile=icc_profile,
        progressive=progressive,
        quality=quality,
    )


def jpeg_from(
    im: Image.Image,
    *,
    orientation: int | None = None,
    gps: bool = False,
    xmp: bool = False,
    comment: bytes | None = None,
    icc_profile: bytes | None = None,
    progressive: bool = False,
    quality: int = 90,
) -> bytes:
    params: dict[str, Any] = {"quality": quality, "progressive": progressive}
    if exif := exif_with(orientation, gps):
        params["exif"] = exif
    if xmp:
        params["xmp"] = XMP_PACKET
    if comment is not None:
        params["comment"] = comment
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    return encode(im, "JPEG", **params)


def photo_jpeg_bytes(
    size: tuple[int, int] = (4000, 3000), progressive: bool = False
) -> bytes:
    return encode(photo_like(size), "JPEG", quality=90, progressive=progressive)


def png_bytes(
    size: tuple[int, int] = (64, 64),
    mode: str = "RGBA",
    color: Color = (0, 128, 255, 128),
) -> bytes:
    return encode(Image.new(mode, size, color), "PNG")


def png16_bytes(size: tuple[int, int] = (64, 64), value: int = 32768) -> bytes:
    """A 16-bit greyscale PNG."""
    return encode(Image.new("I;16", size, value), "PNG")


def palette_png_bytes(size: tuple[int, int] = (64, 64)) -> bytes:
    """Palette PNG: left half transparent (index 0), right half opaque green."""
    im = Image.new("P", size, 0)
    im.putpalette([0, 0, 0, 0, 200, 0] + [0] * (3 * 254))
    im.paste(1, (size[0] // 2, 0, size[0], size[1]))
    return encode(im, "PNG", transparency=0)


def animated_gif_bytes(
    size: tuple[int, int] = (120, 80),
    colors: tuple[Color, ...] = ((255, 0, 0), (0, 0, 255), (0, 255, 0)),
) -> bytes:
    frames = [Image.new("RGB", size, color) for color in colors]
    return encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100
    )


def heic_bytes(
    size: tuple[int, int] = (640, 480),
    color: Color = (200, 30, 30),
    *,
    gps: bool = False,
) -> bytes:
    params: dict[str, Any] = {"quality": 90}
    if exif := exif_with(gps=gps):
        params["exif"] = exif.tobytes()
    return encode(Image.new("RGB", size, color), "HEIF", **params)


def mpo_bytes(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with a second picture appended, as many phones and cameras write."""
    first = Image.new("RGB", size, (200, 30, 30))
    second = Image.new("RGB", size, (30, 200, 30))
    return encode(first, "MPO", save_all=True, append_images=[second])


def bomb_png_bytes(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares width x height greyscale pixels.

    Its image data is a single row; decoding it would allocate width x height
    bytes and give a black image.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    one_row = zlib.compress(b"\0" * (width + 1), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", one_row)
        + chunk(b"IEND", b"")
    )


def scan_bomb_jpeg_bytes(
    size: tuple[int, int] = (4000, 3000), scans: int = 1500
) -> bytes:
    """A progressive JPEG whose last scan is repeated `scans` times.

    libjpeg only warns about the repeats and processes each one over the whole
    image: a small file that takes seconds to decode.
    """
    data = encode(Image.new("RGB", size, (200, 90, 40)), "JPEG", progressive=True)
    last_scan = data.rindex(b"\xff\xda")
    repeated = data[last_scan:-2]  # from the last SOS up to EOI
    return data[:-2] + repeated * scans + b"\xff\xd9"


def memory_bomb_png_bytes(size: tuple[int, int] = (6000, 6000)) -> bytes:
    """A real RGBA PNG, small on disk, that decodes to 4 bytes a pixel."""
    return encode(Image.new("RGBA", size, (10, 20, 30, 255)), "PNG", compress_level=1)


def tag_bomb_tiff_bytes(values: int = 250_000) -> bytes:
    """A 1x1 TIFF whose one rational tag holds `values` values."""
    entries = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (282, 5, values, 8 + 2 + 12 * 3 + 4),  # XResolution: rationals, far away
    ]
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHII", *entry) for entry in entries)
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\0\0\0\0" + b"\1" * 8 * values


def rle_bmp_bytes(size: tuple[int, int] = (2048, 2048)) -> bytes:
    """A few KB of 8-bit RLE BMP declaring millions of pixels, made of escapes
    (Pillow decodes RLE BMPs in Python, one escape at a time)."""
    width, height = size
    # Each "delta" escape (00 02 dx dy) moves 255 pixels along for 4 bytes.
    pixels = b"\0\x02\xff\0" * (width * height // 255 // 64) + b"\0\x01"
    palette = b"\0\0\0\0" * 256
    header_size = 14 + 40 + len(palette)
    info = struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 0, 0, 256, 0
    )
    file_header = struct.pack(
        "<2sIHHI", b"BM", header_size + len(pixels), 0, 0, header_size
    )
    return file_header + info + palette + pixels


def jpeg_header_bytes(width: int, height: int, *, progressive: bool = False) -> bytes:
    """The markers Pillow reads to identify a JPEG, with no image data."""
    start_of_frame = struct.pack(
        ">HHBHHB9B",
        0xFFC2 if progressive else 0xFFC0,
        17,
        8,
        height,
        width,
        3,
        *(1, 0x22, 0),
        *(2, 0x11, 1),
        *(3, 0x11, 1),
    )
    start_of_scan = struct.pack(
        ">HHB6B3B", 0xFFDA, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0
    )
    return b"\xff\xd8" + start_of_frame + start_of_scan + b"\xff\xd9"


def truncated_jpeg_bytes(size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A real photo-like JPEG cut in half: the header is fine, decoding fails."""
    data = photo_jpeg_bytes(size)
    return data[: len(data) // 2]


# Display P3: DCI-P3 primaries, D65 white, the sRGB tone curve.
_P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
_D65 = (0.3127, 0.3290)
_D50_XYZ = (0.9642, 1.0, 0.8249)
_BRADFORD = (
    (0.8951, 0.2664, -0.1614),
    (-0.7502, 1.7135, 0.0367),
    (0.0389, -0.0685, 1.0296),
)


def _xyz(chromaticity: Sequence[float]) -> tuple[float, float, float]:
    x, y = chromaticity
    return x / y, 1.0, (1 - x - y) / y


def _matmul(a: Matrix, b: Matrix) -> list[list[float]]:
    return [
        [sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)
    ]


def _inverse(m: Matrix) -> list[list[float]]:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    adjugate = [
        [e * i - f * h, c * h - b * i, b * f - c * e],
        [f * g - d * i, a * i - c * g, c * d - a * f],
        [d * h - e * g, b * g - a * h, a * e - b * d],
    ]
    return [[value / det for value in row] for row in adjugate]


def _rgb_to_xyz(primaries: Matrix, white: tuple[float, float]) -> list[list[float]]:
    columns = [_xyz(primary) for primary in primaries]
    m = [[columns[j][i] for j in range(3)] for i in range(3)]
    white_xyz = _xyz(white)
    inverse = _inverse(m)
    scales = [sum(inverse[i][k] * white_xyz[k] for k in range(3)) for i in range(3)]
    return [[m[i][j] * scales[j] for j in range(3)] for i in range(3)]


def _adaptation_to_d50(white: tuple[float, float]) -> list[list[float]]:
    source = _xyz(white)
    cone_source = [sum(_BRADFORD[i][k] * source[k] for k in range(3)) for i in range(3)]
    cone_d50 = [sum(_BRADFORD[i][k] * _D50_XYZ[k] for k in range(3)) for i in range(3)]
    diagonal = [[0.0] * 3 for _ in range(3)]
    for i in range(3):
        diagonal[i][i] = cone_d50[i] / cone_source[i]
    return _matmul(_inverse(_BRADFORD), _matmul(diagonal, _BRADFORD))


def display_p3_icc_profile() -> bytes:
    """An ICC v4 matrix/TRC display profile for Display P3 (as Apple devices tag)."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz_tag(xyz: Sequence[float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(v) for v in xyz)

    def text_tag(text: str) -> bytes:
        encoded = text.encode("utf-16-be")
        return (
            b"mluc\0\0\0\0"
            + struct.pack(">II", 1, 12)
            + b"enUS"
            + struct.pack(">II", len(encoded), 28)
            + encoded
        )

    adaptation = _adaptation_to_d50(_D65)
    to_pcs = _matmul(adaptation, _rgb_to_xyz(_P3_PRIMARIES, _D65))
    srgb_curve = b"para\0\0\0\0" + struct.pack(">HH", 3, 0)
    srgb_curve += b"".join(
        s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    )
    tags = [
        (b"desc", text_tag("Display P3 (test)")),
        (b"cprt", text_tag("No copyright, use freely")),
        (b"wtpt", xyz_tag(_D50_XYZ)),
        (
            b"chad",
            b"sf32\0\0\0\0" + b"".join(s15(v) for row in adaptation for v in row),
        ),
        (b"rXYZ", xyz_tag([row[0] for row in to_pcs])),
        (b"gXYZ", xyz_tag([row[1] for row in to_pcs])),
        (b"bXYZ", xyz_tag([row[2] for row in to_pcs])),
        (b"rTRC", srgb_curve),
        (b"gTRC", srgb_curve),
        (b"bTRC", srgb_curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = struct.pack(">I", len(tags))
    body = b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x04300000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # perceptual rendering intent
        + b"".join(s15(v) for v in _D50_XYZ)
        + b"\0" * 4  # creator
        + b"\0" * 16  # profile ID (optional)
        + b"\0" * 28
    )
    assert len(header) == 128
    return header + table + body
