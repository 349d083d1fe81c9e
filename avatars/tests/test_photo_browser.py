"""Choosing a photo in Chromium: the square frame (mouse, touch, keyboard), the
upload's progress, the photo kept through a form error, "Remove photo", and
the thumbnail that comes out: exactly the chosen square."""

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from avatars.models import Avatar
from testing import chromium, image_factory
from testing.storage import stored_names

User = get_user_model()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 180, 60), (40, 60, 220), (240, 200, 20)
READY = "#avatar[data-state=ready] img"


def four_colours(width: int = 1600, height: int = 1200) -> Image.Image:
    """Red, green above; blue, yellow below."""
    im = Image.new("RGB", (width, height))
    for colour, (x, y) in zip(
        (RED, GREEN, BLUE, YELLOW),
        ((0, 0), (width // 2, 0), (0, height // 2), (width // 2, height // 2)),
        strict=True,
    ):
        im.paste(colour, (x, y, x + width // 2, y + height // 2))
    return im


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def quarters_photo(tmp_path: Path, orientation: int | None = None) -> Path:
    """The four colours as a person sees them; with orientation 6 stored
    sideways, as phones do, and shown upright by the browser."""
    upright = four_colours()
    if orientation == 6:
        stored = upright.transpose(Image.Transpose.ROTATE_90)
        return write(
            tmp_path, "IMG_6.JPG", image_factory.jpeg_from(stored, orientation=6)
        )
    return write(tmp_path, "IMG_1.JPG", image_factory.jpeg_from(upright))


def crop_values(page) -> tuple[int, int, int, int]:
    return tuple(
        int(page.locator(f"#id_crop_{name}").input_value() or -1)
        for name in ("x", "y", "width", "height")
    )


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def choose_top_right_quarter_with_the_mouse(page) -> None:
    """From the centred square (200, 0, 1200) of the 1600 x 1200 photo: drag its
    bottom-left corner in to a 600 px square, then the square to the right."""
    page.locator(".photo-picker__frame").scroll_into_view_if_needed()
    image = page.locator(".photo-picker__image").bounding_box()
    scale = image["width"] / 1600

    def at(x: float, y: float) -> tuple[float, float]:
        return image["x"] + x * scale, image["y"] + y * scale

    corner = page.locator(".photo-picker__handle--sw").bounding_box()
    drag(
        page,
        (corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2),
        at(800, 600),
    )
    drag(page, at(1100, 300), at(1500, 300))  # clamped at the right edge


def assert_chosen_square_is_top_right(page) -> None:
    x, y, width, height = crop_values(page)
    assert width == height
    assert x >= 990 and x + width <= 1600 and y == 0 and 560 <= width <= 610


def thumbnail_colours(page) -> set[tuple[int, int, int]]:
    """The colours of the 600 px thumbnail shown on the page, a few pixels in
    from its edges (where resampling blends in what lay outside the square)."""
    srcset = page.locator(READY).get_attribute("srcset")
    src = srcset.split(",")[-1].split()[0]
    im = Image.open(io.BytesIO(page.request.get(src).body())).convert("RGB")
    inner = im.crop((4, 4, im.width - 4, im.height - 4))
    return {colour for _, colour in inner.getcolors(inner.width * inner.height)}


def assert_only(colours: set, expected: tuple[int, int, int]) -> None:
    for colour in colours:
        assert max(abs(a - b) for a, b in zip(colour, expected, strict=True)) < 40


@pytest.mark.parametrize("orientation", [None, 6])
def test_the_thumbnail_is_exactly_the_square_chosen_with_the_mouse(
    page, tmp_path, start_consumer, orientation
):
    start_consumer()
    chromium.fill_sign_up_form(page, "cora")

    page.get_by_label("Profile photo").set_input_files(
        quarters_photo(tmp_path, orientation)
    )
    expect(page.locator(".photo-picker__square")).to_be_visible()
    assert crop_values(page) == (200, 0, 1200, 1200)  # the centred square first
    choose_top_right_quarter_with_the_mouse(page)
    assert_chosen_square_is_top_right(page)
    x, y, size, _ = crop_values(page)
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url("**/profile/")
    expect(page.locator(READY)).to_be_visible(timeout=30_000)
    assert_only(thumbnail_colours(page), GREEN)
    avatar = Avatar.objects.get()
    assert (avatar.crop_x, avatar.crop_y, avatar.crop_size) == (x, y, size)


def test_the_square_moves_and_resizes_with_the_keyboard_alone(
    page, tmp_path, start_consumer
):
    start_consumer()
    chromium.fill_sign_up_form(page, "kemal")
    page.get_by_label("Profile photo").set_input_files(quarters_photo(tmp_path))
    expect(page.locator(".photo-picker__square")).to_be_visible()

    for _ in range(10):  # from the file input, Tab reaches the square
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.photo-picker__square')"):
            break
    square = page.locator(".photo-picker__square")
    expect(square).to_be_focused()
    expect(square).to_have_accessible_name("Crop square")
    for _ in range(50):
        page.keyboard.press("Minus")  # 12 px each, about the centre
    for _ in range(60):
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowUp")
    assert_chosen_square_is_top_right(page)
    page.keyboard.press("Home")
    assert crop_values(page) == (200, 0, 1200, 1200)
    for _ in range(50):
        page.keyboard.press("Minus")
    for _ in range(60):
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowUp")
    page.get_by_role("button", name="Sign up").focus()
    page.keyboard.press("Enter")

    page.wait_for_url("**/profile/")
    expect(page.locator(READY)).to_be_visible(timeout=30_000)
    assert_only(thumbnail_colours(page), GREEN)


def test_a_touch_drag_moves_the_square(browser, live_server, tmp_path):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    chromium.fill_sign_up_form(page, "tomo")
    page.get_by_label("Profile photo").set_input_files(quarters_photo(tmp_path))
    square = page.locator(".photo-picker__square")
    expect(square).to_be_visible()
    square.scroll_into_view_if_needed()
    box = square.bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    cdp = context.new_cdp_session(page)
    for kind, x in (("touchStart", 0), ("touchMove", 40), ("touchMove", 400)):
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": centre[0] + x, "y": centre[1]}]},
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    assert crop_values(page) == (400, 0, 1200, 1200)  # moved right, to the edge
    context.close()


def test_the_photo_and_its_square_survive_a_taken_username(
    page, tmp_path, start_consumer
):
    User.objects.create_user("taken", "someone@example.com", "x")
    start_consumer()
    chromium.fill_sign_up_form(page, "taken")
    page.get_by_label("Profile photo").set_input_files(quarters_photo(tmp_path))
    expect(page.locator(".photo-picker__square")).to_be_visible()
    choose_top_right_quarter_with_the_mouse(page)
    chosen = crop_values(page)

    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("That username is taken.", exact=True)).to_be_visible()
    assert page.locator("#id_image").evaluate("input => input.files.length") == 1
    assert crop_values(page) == chosen
    expect(page.locator(".photo-picker__square")).to_be_visible()
    page.get_by_label("Username").fill("untaken")
    page.get_by_label("Password").fill("correct horse battery")  # never sent back
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url("**/profile/")
    expect(page.locator(READY)).to_be_visible(timeout=30_000)
    assert_only(thumbnail_colours(page), GREEN)


def test_the_upload_shows_its_progress(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    chromium.fill_sign_up_form(page, "pia")
    page.get_by_label("Profile photo").set_input_files(
        write(tmp_path, "big.jpg", image_factory.photo_jpeg_bytes((3000, 2000)))
    )
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 256 * 1024,
        },
    )

    page.get_by_role("button", name="Sign up").click()

    progress = page.locator(".upload-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Uploading…")
    page.wait_for_function(
        "() => { const p = document.querySelector('.upload-progress progress');"
        " return p && p.value > 0 && p.value < 100; }"
    )
    page.wait_for_url("**/profile/", timeout=60_000)
    context.close()


def test_a_file_over_the_limit_is_refused_before_any_byte_is_sent(page, tmp_path):
    chromium.fill_sign_up_form(page, "lars")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    page.get_by_label("Profile photo").set_input_files(
        write(tmp_path, "huge.jpg", b"\xff\xd8" + bytes(21 * 1024 * 1024))
    )

    expect(
        page.get_by_text("This file is 21.0 MB; a photo can be at most 20 MB.")
    ).to_be_visible()
    assert page.locator("#id_image").evaluate("input => input.files.length") == 0
    assert posts == []


def test_a_photo_the_browser_cannot_show_gets_the_centred_square(page, tmp_path):
    chromium.fill_sign_up_form(page, "hana")
    heic = image_factory.heic_bytes((640, 480), (200, 30, 30))

    page.get_by_label("Profile photo").set_input_files(write(tmp_path, "a.heic", heic))

    note = page.locator(".photo-picker__note")
    expect(note).to_contain_text("can't show a preview")
    expect(note).not_to_have_class("photo-picker__note--error")
    assert crop_values(page) == (-1, -1, -1, -1)  # none: the centred square
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")


def test_remove_photo_goes_back_to_the_initials(page, tmp_path, start_consumer):
    start_consumer()
    chromium.fill_sign_up_form(page, "rita.mae")
    page.get_by_label("Profile photo").set_input_files(quarters_photo(tmp_path))
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")
    expect(page.locator(READY)).to_be_visible(timeout=30_000)

    page.get_by_role("button", name="Remove photo").click()

    initials = page.locator("#avatar[data-state=none] img")
    expect(initials).to_be_visible()
    assert initials.get_attribute("src").endswith("-RM.svg")
    page.wait_for_function(
        "() => document.querySelector('#avatar img').naturalWidth > 0"
    )
    assert stored_names("default", "avatars") == []
    page.reload()
    expect(page.locator("#avatar[data-state=none] img")).to_be_visible()


def test_try_again_after_a_failure_cuts_the_same_square(page, tmp_path, start_consumer):
    # Every attempt fails until "Try again": the first and its 3 retries.
    start_consumer(AVATARS_TEST_TRANSIENT_FAILURES="4")
    chromium.fill_sign_up_form(page, "tariq")
    page.get_by_label("Profile photo").set_input_files(quarters_photo(tmp_path))
    expect(page.locator(".photo-picker__square")).to_be_visible()
    choose_top_right_quarter_with_the_mouse(page)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")

    page.get_by_role("button", name="Try again").click(timeout=30_000)

    expect(page.locator(READY)).to_be_visible(timeout=30_000)
    assert_only(thumbnail_colours(page), GREEN)
