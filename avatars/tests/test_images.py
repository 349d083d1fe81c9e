import io
import os
import struct
import warnings

import pytest
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from avatars import fingerprints, images
from avatars.images import ImageInfo, ImageRejected, inspect_image, make_thumbnails
from testing import image_factory as factory

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def thumbnails_of(
    data: bytes, crop: images.Crop | None = None
) -> tuple[Image.Image, Image.Image]:
    """The 600 and 300 px thumbnails, decoded, once every size is checked: a
    square of its side, or of the largest one's if that is smaller."""
    fp = io.BytesIO(data)
    made = make_thumbnails(fp, crop)
    assert not fp.closed  # the caller's file is the caller's to close
    assert list(made) == [600, 300, 192, 96, 64, 32]
    decoded = {}
    for side, thumbnail in made.items():
        im = Image.open(io.BytesIO(thumbnail.data))
        assert im.format == "WEBP"
        assert im.size == (thumbnail.width, thumbnail.height)
        assert im.width == im.height == min(side, made[600].width)
        im.load()
        decoded[side] = im
    return decoded[600], decoded[300]


def centre(im: Image.Image) -> tuple[int, ...]:
    return im.getpixel((im.width // 2, im.height // 2))


def assert_close(actual, expected, tolerance: int = 6) -> None:
    differences = [abs(a - e) for a, e in zip(actual, expected, strict=True)]
    assert max(differences) <= tolerance, (actual, expected)


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, position = [], 12
    while position < len(data):
        kind, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        chunks.append(kind)
        position += 8 + size + size % 2
    return chunks


# Sizes


@pytest.mark.parametrize(
    ("size", "largest"),
    [
        ((4000, 3000), 600),
        ((3000, 4000), 600),
        ((6000, 1000), 600),
        ((1000, 1000), 600),
        ((450, 200), 200),
        ((100, 50), 50),
        ((1, 1), 1),
    ],
)
def test_thumbnails_are_squares_of_every_size_and_never_grow(size, largest):
    big, little = thumbnails_of(factory.jpeg_bytes(size, (90, 140, 60)))

    assert big.size == (largest, largest)
    assert little.size == (min(300, largest),) * 2
    assert_close(centre(little), (90, 140, 60))


def test_photo_thumbnails_are_small_single_frame_webp():
    made = make_thumbnails(io.BytesIO(factory.photo_jpeg_bytes((4000, 3000))))
    large, small = made[600], made[300]

    for thumbnail in made.values():
        im = Image.open(io.BytesIO(thumbnail.data))
        assert im.format == images.OUTPUT_FORMAT
        assert im.get_format_mimetype() == "image/webp"
        assert getattr(im, "n_frames", 1) == 1
        assert im.mode == "RGB"
    assert len(large.data) < 120_000
    assert len(small.data) < 40_000


# Orientation

# How to store an upright picture so that EXIF orientation n shows it upright.
STORED_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the viewer turns it 90° clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


GREEN, YELLOW = (0, 255, 0), (255, 255, 0)


def upright_test_card() -> Image.Image:
    """Landscape 400x200 in four quarters: red, green above; blue, yellow below."""
    im = Image.new("RGB", (400, 200), BLUE)
    im.paste(RED, (0, 0, 200, 100))
    im.paste(GREEN, (200, 0, 400, 100))
    im.paste(YELLOW, (200, 100, 400, 200))
    return im


def assert_centred_square_of_test_card(im: Image.Image) -> None:
    """The centred square (x 100 to 300) is a quarter of each colour."""
    w, h = im.size
    assert w == h
    assert_close(im.getpixel((w // 4, h // 4)), RED, 30)
    assert_close(im.getpixel((3 * w // 4, h // 4)), GREEN, 30)
    assert_close(im.getpixel((w // 4, 3 * h // 4)), BLUE, 30)
    assert_close(im.getpixel((3 * w // 4, 3 * h // 4)), YELLOW, 30)


def assert_only(im: Image.Image, colour: tuple[int, int, int], margin: int = 3):
    """Every pixel is `colour`, a few pixels in from the edges (where resampling
    blends in what lay just outside the square)."""
    inner = im.convert("RGB").crop(
        (margin, margin, im.width - margin, im.height - margin)
    )
    for _, found in inner.getcolors(inner.width * inner.height):
        assert_close(found, colour, 40)


def stored_for(orientation: int) -> Image.Image:
    stored = upright_test_card()
    if STORED_FOR_ORIENTATION[orientation] is not None:
        stored = stored.transpose(STORED_FOR_ORIENTATION[orientation])
    return stored


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation):
    data = factory.jpeg_from(stored_for(orientation), orientation=orientation)

    large, small = thumbnails_of(data)

    assert inspect_image(io.BytesIO(data)) == ImageInfo("JPEG", 400, 200)
    assert large.size == (200, 200)
    assert_centred_square_of_test_card(large)
    assert_centred_square_of_test_card(small)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    ("crop", "colour"),
    [
        (images.Crop(200, 0, 100), GREEN),  # the top-right quarter
        (images.Crop(0, 100, 100), BLUE),
        (images.Crop(310, 110, 90), YELLOW),  # at the far corner
    ],
)
def test_the_chosen_square_is_cut_in_the_upright_image(orientation, crop, colour):
    data = factory.encode(
        stored_for(orientation), "PNG", exif=factory.exif_with(orientation)
    )

    large, small = thumbnails_of(data, crop)

    assert large.size == (crop.size, crop.size)
    assert_only(large, colour)
    assert_only(small, colour)


def test_a_crop_that_does_not_fit_is_taken_as_no_choice():
    large, _ = thumbnails_of(
        factory.jpeg_from(upright_test_card()), images.Crop(350, 0, 100)
    )

    assert_centred_square_of_test_card(large)


@pytest.mark.parametrize(
    ("crop", "decoded"),
    [
        # At reduced size, but at least twice the thumbnail: the centred 3000 px
        # square at 1/2 keeps 1500.
        (None, (2000, 1500)),
        (images.Crop(0, 0, 2400), (2000, 1500)),
        (images.Crop(1000, 1000, 1199), (4000, 3000)),  # needs every pixel
        (images.Crop(0, 0, 600), (4000, 3000)),
    ],
)
def test_the_reduced_decode_follows_the_square_not_the_photo(
    monkeypatch, crop, decoded
):
    decoded_sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def spy(im):
        decoded_sizes.append(im.size)
        return load(im)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    make_thumbnails(io.BytesIO(factory.photo_jpeg_bytes((4000, 3000))), crop)

    assert decoded_sizes[0] == decoded


@pytest.mark.parametrize(
    ("format", "params"),
    [
        ("PNG", {"exif": factory.exif_with(orientation=6)}),
        ("WEBP", {"exif": factory.exif_with(orientation=6), "lossless": True}),
        # pillow-heif stores the turn as HEIF transforms, which libheif applies.
        ("HEIF", {"exif": factory.exif_with(orientation=6).tobytes(), "quality": 90}),
    ],
)
def test_orientation_of_other_formats_is_applied_too(format, params):
    data = factory.encode(stored_for(6), format, **params)

    large, _ = thumbnails_of(data)
    top_right, _ = thumbnails_of(data, images.Crop(200, 0, 100))

    assert inspect_image(io.BytesIO(data)).width == 400
    assert_centred_square_of_test_card(large)
    assert_only(top_right, GREEN)


# Colour

# Display P3 to sRGB for linear light (both have a D65 white point).
P3_TO_SRGB = (
    (1.2249401, -0.2249404, 0.0),
    (-0.0420569, 1.0420571, 0.0),
    (-0.0196376, -0.0786361, 1.0982735),
)


def srgb_decode(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def srgb_encode(linear: float) -> int:
    v = min(max(linear, 0.0), 1.0)
    v = v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
    return round(v * 255)


def p3_to_srgb(color: tuple[int, int, int]) -> tuple[int, ...]:
    linear = [srgb_decode(c) for c in color]
    return tuple(
        srgb_encode(sum(row[i] * linear[i] for i in range(3))) for row in P3_TO_SRGB
    )


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_display_p3_photo_is_converted_to_srgb(format):
    p3_color = (220, 60, 40)
    expected = p3_to_srgb(p3_color)  # (239, 35, 17): redder, less green and blue
    assert max(abs(a - b) for a, b in zip(expected, p3_color, strict=True)) > 15
    im = Image.new("RGB", (200, 200), p3_color)
    data = factory.encode(
        im, format, icc_profile=factory.display_p3_icc_profile(), quality=95
    )

    large, small = thumbnails_of(data)

    assert_close(centre(large), expected)
    assert_close(centre(small), expected)
    assert "icc_profile" not in large.info


def test_display_p3_profile_is_accepted_by_littlecms():
    profile = ImageCms.getOpenProfile(io.BytesIO(factory.display_p3_icc_profile()))
    srgb = ImageCms.createProfile("sRGB")
    white = Image.new("RGB", (1, 1), (255, 255, 255))

    converted = ImageCms.profileToProfile(white, profile, srgb)

    assert converted.getpixel((0, 0)) == (255, 255, 255)


def test_image_without_profile_is_taken_as_srgb():
    large, _ = thumbnails_of(factory.jpeg_bytes((200, 200), (220, 60, 40)))

    assert_close(centre(large), (220, 60, 40))


def test_broken_profile_is_ignored():
    data = factory.jpeg_bytes((200, 200), (220, 60, 40), icc_profile=b"not a profile")

    large, _ = thumbnails_of(data)

    assert_close(centre(large), (220, 60, 40))


def test_cmyk_jpeg_comes_out_in_the_right_colours():
    # Pillow writes CMYK JPEGs the Adobe way (inverted), so this reads one too.
    red_ink = (0, 255, 255, 0)  # magenta + yellow
    data = factory.jpeg_bytes((200, 200), red_ink, mode="CMYK")

    large, small = thumbnails_of(data)

    assert large.mode == "RGB"
    assert_close(centre(large), RED, 10)
    assert_close(centre(small), RED, 10)


@pytest.mark.parametrize(
    ("value16", "value8"), [(0, 0), (16448, 64), (32768, 128), (65535, 255)]
)
def test_16_bit_greyscale_png_is_scaled_not_clipped(value16, value8):
    large, small = thumbnails_of(factory.png16_bytes((64, 64), value16))

    assert_close(centre(large), (value8,) * 3, 3)
    assert_close(centre(small), (value8,) * 3, 3)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (factory.encode(Image.new("RGB", (64, 64)), "TIFF"), "TIFF"),
        (factory.encode(Image.new("RGB", (64, 64)), "TIFF", compression="raw"), "TIFF"),
        (factory.encode(Image.new("I;16B", (64, 64), 32768), "TIFF"), "TIFF"),
        (factory.encode(Image.new("RGB", (64, 64)), "BMP"), "BMP"),
    ],
)
def test_tiff_and_bmp_are_refused_by_name(data, name):
    with pytest.raises(ImageRejected) as refused:
        inspect_image(io.BytesIO(data))

    assert refused.value.message.startswith(f"{name} files are not accepted.")
    assert "JPEG or PNG" in refused.value.message


def test_greyscale_jpeg_stays_grey():
    large, _ = thumbnails_of(factory.jpeg_bytes((100, 100), 90, mode="L"))

    assert large.mode == "RGB"
    assert_close(centre(large), (90, 90, 90), 3)


def test_one_bit_image_is_black_and_white():
    im = Image.new("1", (100, 100), 0)
    im.paste(1, (50, 0, 100, 100))

    large, _ = thumbnails_of(factory.encode(im, "PNG"))

    assert_close(large.getpixel((20, 50)), (0, 0, 0), 8)
    assert_close(large.getpixel((80, 50)), (255, 255, 255), 8)


# Transparency


def half_transparent(mode: str) -> Image.Image:
    """Left half fully transparent, right half opaque green."""
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    im.paste((0, 200, 0, 255), (100, 0, 200, 100))
    return im.convert(mode)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(factory.encode(half_transparent("RGBA"), "PNG"), id="RGBA PNG"),
        pytest.param(factory.palette_png_bytes((200, 100)), id="palette PNG"),
        pytest.param(factory.encode(half_transparent("RGBA"), "WEBP"), id="WebP"),
    ],
)
def test_transparency_is_kept(data):
    large, small = thumbnails_of(data)

    for im in (large, small):
        assert im.mode == "RGBA"
        w, h = im.size
        assert im.getpixel((w // 8, h // 2))[3] == 0
        assert_close(im.getpixel((7 * w // 8, h // 2)), (0, 200, 0, 255))


def test_greyscale_with_alpha_is_kept_transparent():
    im = Image.new("LA", (100, 100), (0, 0))
    im.paste((180, 255), (50, 0, 100, 100))

    large, _ = thumbnails_of(factory.encode(im, "PNG"))

    assert large.mode == "RGBA"
    assert large.getpixel((10, 50))[3] == 0
    assert_close(large.getpixel((90, 50)), (180, 180, 180, 255))


def test_opaque_png_gives_opaque_webp():
    data = factory.png_bytes((100, 100), "RGB", (10, 100, 200))

    for thumbnail in make_thumbnails(io.BytesIO(data)).values():
        assert Image.open(io.BytesIO(thumbnail.data)).mode == "RGB"
        assert b"ALPH" not in webp_chunks(thumbnail.data)


# Other formats


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(factory.heic_bytes((640, 480), (200, 30, 30)), id="HEIC"),
        pytest.param(
            factory.encode(Image.new("RGB", (640, 480), (200, 30, 30)), "WEBP"),
            id="WebP",
        ),
        pytest.param(
            factory.encode(Image.new("CMYK", (640, 480), (0, 215, 210, 55)), "JPEG"),
            id="CMYK JPEG",
        ),
        pytest.param(factory.mpo_bytes((640, 480)), id="MPO"),
        pytest.param(
            factory.jpeg_bytes((640, 480), (200, 30, 30), progressive=True),
            id="progressive JPEG",
        ),
    ],
)
def test_other_formats_make_thumbnails(data):
    large, small = thumbnails_of(data)

    assert large.size == (480, 480)  # the centred square of 640 x 480
    assert small.size == (300, 300)
    assert_close(centre(small), (200, 30, 30), 12)


def test_mpo_is_reported_as_jpeg():
    info = inspect_image(io.BytesIO(factory.mpo_bytes((640, 480))))

    assert info == ImageInfo("JPEG", 640, 480)


def test_animated_gif_gives_its_first_frame_only():
    data = factory.animated_gif_bytes((120, 80), ((255, 0, 0), (0, 0, 255)))

    for thumbnail in make_thumbnails(io.BytesIO(data)).values():
        im = Image.open(io.BytesIO(thumbnail.data))
        assert getattr(im, "n_frames", 1) == 1
        assert b"ANIM" not in webp_chunks(thumbnail.data)
        assert_close(centre(im.convert("RGB")), RED, 10)


# Metadata


def sensitive_inputs() -> list:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = factory.photo_like((800, 600))
    exif = factory.exif_with(orientation=1, gps=True)
    return [
        pytest.param(
            factory.jpeg_from(
                photo, gps=True, xmp=True, comment=b"my secret note", icc_profile=srgb
            ),
            id="JPEG",
        ),
        pytest.param(
            factory.encode(
                photo, "WEBP", exif=exif, xmp=factory.XMP_PACKET, icc_profile=srgb
            ),
            id="WebP",
        ),
        pytest.param(
            factory.encode(photo, "PNG", exif=exif, icc_profile=srgb), id="PNG"
        ),
        pytest.param(factory.heic_bytes((800, 600), gps=True), id="HEIC"),
    ]


@pytest.mark.parametrize("data", sensitive_inputs())
def test_no_metadata_of_the_upload_reaches_the_thumbnails(data):
    source = Image.open(io.BytesIO(data))
    assert source.getexif()  # the test input does carry metadata
    for thumbnail in make_thumbnails(io.BytesIO(data)).values():
        im = Image.open(io.BytesIO(thumbnail.data))
        assert not im.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(im.info)
        assert set(webp_chunks(thumbnail.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
        for secret in (b"Exif", b"<x:xmpmeta", b"my secret", b"SN-123", b"TestCam"):
            assert secret not in thumbnail.data


# inspect_image


def test_inspect_reads_format_and_size_and_rewinds():
    fp = io.BytesIO(factory.jpeg_bytes((640, 480)))
    fp.seek(100)

    assert inspect_image(fp) == ImageInfo("JPEG", 640, 480)
    assert fp.tell() == 0


@pytest.mark.parametrize(
    ("data", "format"),
    [
        (factory.png_bytes(), "PNG"),
        (factory.encode(Image.new("RGB", (64, 64)), "WEBP"), "WEBP"),
        (factory.animated_gif_bytes(), "GIF"),
        (factory.heic_bytes((64, 64)), "HEIF"),
    ],
)
def test_inspect_accepts_every_supported_format(data, format):
    info = inspect_image(io.BytesIO(data))

    assert info.format == format
    assert info.format in images.ACCEPTED_FORMATS


@pytest.fixture
def decoding_forbidden(monkeypatch):
    def load(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def rejection(data: bytes) -> str:
    fp = io.BytesIO(data)
    with pytest.raises(ImageRejected) as caught:
        inspect_image(fp)
    assert fp.tell() == 0
    assert str(caught.value) == caught.value.message
    return caught.value.message


def test_inspect_rejects_an_empty_file():
    assert "empty" in rejection(b"")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Hello, this is just text.\n" * 10, id="text"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", id="HTML"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>",
            id="SVG",
        ),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", id="PDF"),
        pytest.param(
            factory.encode(Image.new("RGB", (32, 32)), "ICO"), id="ICO (not accepted)"
        ),
        pytest.param(
            factory.encode(Image.new("RGB", (32, 32)), "PPM"), id="PPM (not accepted)"
        ),
        pytest.param(b"\xff\xd8\xff\xe0 nothing else", id="JPEG magic only"),
    ],
)
def test_inspect_rejects_what_is_not_an_accepted_image(data, decoding_forbidden):
    message = rejection(data)

    assert "not a photo we can read" in message
    assert message != rejection(b"")


def test_inspect_rejects_a_png_bomb_from_its_header(decoding_forbidden):
    bomb = factory.bomb_png_bytes(30000, 30000)
    assert len(bomb) < 1000

    message = rejection(bomb)

    assert "too large" in message
    assert "megapixels" in message


def test_inspect_rejects_a_png_over_its_limit_with_the_limit(decoding_forbidden):
    message = rejection(factory.bomb_png_bytes(8000, 5125))  # 41 megapixels

    assert "41 megapixels" in message
    assert "PNG images of up to 40 megapixels" in message


def test_inspect_accepts_a_100_megapixel_jpeg_without_a_warning(decoding_forbidden):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = inspect_image(io.BytesIO(factory.jpeg_header_bytes(12000, 8400)))

    assert info == ImageInfo("JPEG", 12000, 8400)


def test_inspect_rejects_a_jpeg_over_its_limit(decoding_forbidden):
    with pytest.warns(Image.DecompressionBombWarning):
        message = rejection(factory.jpeg_header_bytes(13000, 10000))

    assert "JPEG images of up to 120 megapixels" in message


def test_inspect_holds_progressive_jpegs_to_a_lower_limit(decoding_forbidden):
    assert inspect_image(
        io.BytesIO(factory.jpeg_header_bytes(6000, 5000, progressive=True))
    ) == ImageInfo("JPEG", 6000, 5000)

    message = rejection(factory.jpeg_header_bytes(7000, 5000, progressive=True))

    assert "progressive JPEG images of up to 30 megapixels" in message


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (factory.jpeg_bytes((640, 480)), "JPEG"),
        (factory.mpo_bytes((640, 480)), "JPEG"),
        (factory.jpeg_bytes((640, 480), progressive=True), "progressive JPEG"),
        (factory.png_bytes((640, 480)), "PNG"),
        (factory.encode(Image.new("RGB", (640, 480)), "GIF"), "GIF"),
        (factory.heic_bytes((640, 480)), "HEIF"),
        (factory.encode(Image.new("RGB", (640, 480)), "WEBP"), "WEBP"),
    ],
)
def test_each_kind_of_image_has_its_own_pixel_limit(monkeypatch, data, kind):
    monkeypatch.setitem(images.MAX_PIXELS, kind, 640 * 480)
    inspect_image(io.BytesIO(data))
    make_thumbnails(io.BytesIO(data))

    monkeypatch.setitem(images.MAX_PIXELS, kind, 640 * 480 - 1)
    message = rejection(data)
    with pytest.raises(ImageRejected):
        make_thumbnails(io.BytesIO(data))

    assert f"We accept {kind} images of up to 0.307199 megapixels." in message


def test_libjpeg_memory_cap_stops_a_jpeg_that_needs_too_much(monkeypatch):
    # libjpeg keeps a progressive JPEG's coefficients in memory: 6 bytes a pixel
    # here, 18 MB. images.py caps that memory through the JPEGMEM variable.
    data = factory.encode(
        factory.photo_like((2000, 1500)), "JPEG", progressive=True, subsampling=0
    )
    assert os.environ["JPEGMEM"] == "200M"
    make_thumbnails(io.BytesIO(data))

    monkeypatch.setenv("JPEGMEM", "10M")
    with pytest.raises(ImageRejected):
        make_thumbnails(io.BytesIO(data))


def test_inspect_rejects_when_pillow_warnings_are_errors(decoding_forbidden):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = rejection(factory.jpeg_header_bytes(13000, 10000))

    assert "too large" in message


# Damaged files


def test_truncated_jpeg_passes_inspection_but_not_thumbnailing():
    data = factory.truncated_jpeg_bytes((2000, 1500))
    assert inspect_image(io.BytesIO(data)) == ImageInfo("JPEG", 2000, 1500)

    with pytest.raises(ImageRejected) as caught:
        make_thumbnails(io.BytesIO(data))

    assert "damaged or incomplete" in caught.value.message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(factory.png_bytes((300, 300))[:-40], id="truncated PNG"),
        pytest.param(
            factory.encode(factory.photo_like((400, 300)), "WEBP")[:3000],
            id="truncated WebP",
        ),
        pytest.param(factory.heic_bytes((640, 480))[:-500], id="truncated HEIC"),
    ],
)
def test_damaged_files_are_rejected_by_the_worker(data):
    with pytest.raises(ImageRejected):
        make_thumbnails(io.BytesIO(data))


def test_worker_refuses_a_bomb_without_decoding_it(decoding_forbidden):
    with pytest.raises(ImageRejected) as caught:
        make_thumbnails(io.BytesIO(factory.bomb_png_bytes(30000, 30000)))

    assert "too large" in caught.value.message


def test_worker_refuses_what_is_not_an_image():
    with pytest.raises(ImageRejected):
        make_thumbnails(io.BytesIO(b"<html>not an image</html>"))


def test_a_jpeg_with_far_more_scans_than_cameras_write_is_refused_unread():
    bomb = factory.scan_bomb_jpeg_bytes((64, 48), scans=images.MAX_JPEG_SCANS)

    with pytest.raises(ImageRejected) as refused:
        inspect_image(io.BytesIO(bomb))

    assert "scans" in refused.value.message
    assert "regular JPEG" in refused.value.message


def test_progressive_and_multi_picture_jpegs_are_within_the_scan_limit():
    for data in (
        factory.jpeg_bytes((640, 480), progressive=True),
        factory.mpo_bytes((640, 480)),
        factory.photo_jpeg_bytes((640, 480)),
    ):
        assert inspect_image(io.BytesIO(data)).format == "JPEG"


def hashes_of(data: bytes, crop: images.Crop | None = None) -> images.Hashes:
    hashes = images.Hashes()
    images.make_thumbnails(io.BytesIO(data), crop, hashes=hashes)
    return hashes


def test_a_photo_is_hashed_upright_whatever_its_exif_orientation():
    upright = factory.scene((1200, 900), seed=5)
    # Stored turned a quarter anticlockwise; orientation 6 shows it upright.
    sideways = upright.transpose(Image.Transpose.ROTATE_90)

    stored = hashes_of(factory.jpeg_from(sideways, orientation=6))
    shown = hashes_of(factory.jpeg_from(upright))

    assert None not in (stored.photo, stored.square, shown.photo, shown.square)
    assert fingerprints.distance(stored.photo, shown.photo) <= 2
    assert fingerprints.distance(stored.square, shown.square) <= 2
    assert fingerprints.matches(stored.photo, fingerprints.phash(upright))


def test_the_square_hash_is_the_chosen_squares():
    upright = factory.scene((1200, 900), seed=6)
    crop = images.Crop(500, 100, 600)

    hashes = hashes_of(factory.jpeg_from(upright), crop)

    chosen = fingerprints.phash(upright.crop((500, 100, 1100, 700)))
    centred = fingerprints.phash(upright.crop((150, 0, 1050, 900)))
    assert chosen is not None and centred is not None
    assert fingerprints.distance(hashes.square, chosen) <= 2
    assert not fingerprints.matches(hashes.square, centred)


def test_the_photo_is_kept_with_its_cuts_and_square_and_checked_by_two():
    hashes = hashes_of(factory.jpeg_from(factory.scene(seed=7)))

    assert len(hashes.cut) == 4
    assert hashes.kept() == [hashes.photo, *hashes.cut, hashes.square]
    assert hashes.own() == [hashes.photo, hashes.square]


def test_a_flat_photo_has_no_hashes():
    hashes = hashes_of(factory.jpeg_bytes((1200, 900)))

    assert hashes.kept() == [] and hashes.own() == []


def test_hashing_is_done_and_timed_only_when_asked():
    data = factory.jpeg_from(factory.scene((800, 600), seed=8))
    timings: dict[str, float] = {}
    plain = images.make_thumbnails(io.BytesIO(data), timings=timings)
    assert "hash" not in timings

    hashed = images.make_thumbnails(
        io.BytesIO(data), timings=timings, hashes=images.Hashes()
    )

    assert timings["hash"] > 0
    assert hashed == plain
