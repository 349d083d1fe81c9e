"""A person in Chromium: sign up with a photo and watch it appear, no reload."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testing import chromium, image_factory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def write_photo(tmp_path: Path, name: str, **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(image_factory.jpeg_bytes(**kwargs))
    return path


def sign_up(page, username: str, photo: Path | None = None) -> None:
    chromium.fill_sign_up_form(page, username)
    if photo:
        page.get_by_label("Profile photo").set_input_files(photo)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")


def log_in(page, login: str, password: str = "correct horse battery") -> None:
    """Fill the login form on the page showing it, and send it."""
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()


def test_photo_appears_without_reload_and_stays_after_one(
    page, tmp_path, start_consumer, gate
):
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    # 12 MP, stored sideways with EXIF orientation 6, as phones do.
    photo = write_photo(tmp_path, "IMG_0042.JPG", size=(4000, 3000), orientation=6)

    sign_up(page, "paula", photo)
    avatar = page.locator("#avatar")
    expect(avatar).to_have_attribute("data-state", "processing")
    expect(avatar).to_contain_text("Processing your photo…")
    page.evaluate("window.notReloaded = true")

    gate.wait_for_task()
    gate.release()

    image = page.locator("#avatar[data-state=ready] img")
    expect(image).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    width, height = image.evaluate(
        "img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"
    )
    assert (width, height) == (300, 300)  # its centred square
    assert image.get_attribute("alt") == "Profile photo of paula"

    page.reload()
    expect(page.locator("#avatar[data-state=ready] img")).to_be_visible()


def test_signup_without_photo_shows_default_avatar(page):
    sign_up(page, "quinn")
    expect(page.locator("#avatar")).to_have_attribute("data-state", "none")
    expect(page.locator("#avatar img")).to_have_attribute(
        "src", re.compile(r"^/avatars/initials/\d+-Q\.svg$")
    )


def test_replacing_the_photo_shows_status_then_new_thumbnail(
    page, tmp_path, start_consumer, gate
):
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    sign_up(page, "rosa", write_photo(tmp_path, "a.jpg", size=(1200, 800)))
    gate.wait_for_task()
    gate.release()
    first = page.locator("#avatar[data-state=ready] img")
    expect(first).to_be_visible()
    first_src = first.get_attribute("src")

    page.get_by_label("New photo").set_input_files(
        write_photo(tmp_path, "b.jpg", size=(800, 1200))
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#avatar")).to_have_attribute("data-state", "processing")
    gate.wait_for_task()
    gate.release()

    second = page.locator("#avatar[data-state=ready] img")
    expect(second).to_be_visible()
    assert second.get_attribute("src") != first_src
    assert (
        second.evaluate("img => img.decode().then(() => img.naturalHeight)") == 300
    )  # 800 px: enough


def test_a_wrong_password_is_said_in_place_without_a_reload(page):
    from registration.models import User

    User.objects.create_user("lou", "lou@example.com", "correct horse battery")
    page.goto("/accounts/login/")
    page.evaluate("window.sameDocument = true")

    log_in(page, "lou", "not the password")

    expect(page.get_by_text("are not correct")).to_be_visible()
    assert page.evaluate("window.sameDocument === true")  # htmx swapped, no reload


def test_deleting_the_account_leaves_nothing_behind(page, tmp_path, start_consumer):
    from registration.tests.test_account import NOTHING, everything_of

    start_consumer()
    sign_up(page, "tess", write_photo(tmp_path, "t.jpg", size=(1200, 900)))
    expect(page.locator("#avatar[data-state=ready] img")).to_be_visible(timeout=30_000)
    assert everything_of("tess")["thumbnails"]

    page.get_by_role("link", name="Delete account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    page.get_by_label("Your password").fill("not it")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Incorrect password.", exact=True)).to_be_visible()
    page.get_by_label("Your password").fill("correct horse battery")
    page.get_by_role("button", name="Delete my account").click()

    expect(page.get_by_text("Your account is deleted")).to_be_visible()
    assert page.url.endswith("/register/")
    assert everything_of("tess") == NOTHING
    page.goto("/profile/")
    page.wait_for_url("**/accounts/login/**")


def test_signing_out_another_browser(browser, live_server, page):
    sign_up(page, "uma")
    other = browser.new_context(base_url=live_server.url)
    phone = other.new_page()
    phone.goto("/accounts/login/")
    log_in(phone, "uma@example.com")
    phone.wait_for_url("**/profile/")

    page.get_by_role("link", name="Signed-in browsers").click()
    rows = page.locator(".session")
    expect(rows).to_have_count(2)
    rows.filter(has_not_text="This browser").get_by_role("button").click()

    expect(page.get_by_text("That browser is signed out.")).to_be_visible()
    expect(page.locator(".session")).to_have_count(1)
    phone.reload()
    phone.wait_for_url("**/accounts/login/**")
    page.goto("/profile/")
    expect(page.get_by_role("heading", name="uma")).to_be_visible()
    other.close()
