"""Sign-up by keyboard alone in Chromium (Tab, Shift+Tab, arrows, Enter: no
mouse, no locator clicks; the file comes as the system's dialog gives it),
with a visible focus indicator at every stop; a form error moves focus to a
summary whose links lead to each field."""

import pytest
from playwright.sync_api import Page, expect

from avatars.models import Avatar
from testing import image_factory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, and whether a person can see where it is: an outline or
# a ring of its own, or (the crop square, which draws inside the photo) the
# 3 px border of its ::after.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ringed = style.boxShadow !== "none";
  const inner = parseFloat(getComputedStyle(el, "::after").borderTopWidth) >= 3;
  return {
    name: el.getAttribute("aria-label") || el.name || el.id || el.textContent.trim(),
    visible: outlined || ringed || inner,
  };
}"""


def tab_to(page: Page, name: str, key: str = "Tab", most: int = 15) -> list[str]:
    """Press Tab until `name` has the focus; every stop on the way must show
    where the focus is. Returns the stops."""
    stops: list[str] = []
    for _ in range(most):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        stops.append(focused["name"])
        assert focused["visible"], f"no visible focus on {focused['name']}: {stops}"
        if focused["name"] == name:
            return stops
    raise AssertionError(f"{name} never had the focus: {stops}")


def test_sign_up_with_a_photo_by_keyboard_alone(page):
    page.goto("/register/")

    stops = tab_to(page, "username")
    page.keyboard.type("kira")
    tab_to(page, "email")
    page.keyboard.type("kira@example.com")
    tab_to(page, "image")
    # Space would open the system's file dialog, which is the browser's, not
    # the page's (and under load headless Chromium sometimes never reports
    # it): the file is handed to the input that has the focus, as that
    # dialog would hand it.
    page.locator("input[type=file]:focus").set_input_files(
        files=[
            {
                "name": "IMG_0003.JPG",
                "mimeType": "image/jpeg",
                "buffer": image_factory.jpeg_bytes(size=(1600, 1200)),
            }
        ]
    )
    expect(page.locator(".photo-picker__square")).to_be_visible()
    tab_to(page, "Crop square")
    for key in ["Minus", "Minus", "ArrowLeft", "ArrowUp"]:
        page.keyboard.press(key)
    tab_to(page, "image", key="Shift+Tab")  # back, and forth again
    tab_to(page, "Crop square")
    tab_to(page, "password1")
    page.keyboard.type("correct horse battery")
    tab_to(page, "Sign up")
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile/")

    assert stops[0] == "Avatars"  # the top bar first, as it reads
    avatar = Avatar.objects.get(user__username="kira")
    # Two steps smaller than the centred 1200 px square, moved up and left.
    assert (avatar.crop_size, avatar.crop_x, avatar.crop_y) == (1176, 200, 0)


def test_a_form_error_moves_focus_to_a_summary_linking_each_field(page):
    page.goto("/register/")
    tab_to(page, "username")
    page.keyboard.type("no spaces")
    tab_to(page, "email")
    page.keyboard.type("nils@example.com")
    tab_to(page, "password1")
    page.keyboard.type("short")
    page.keyboard.press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("Username")
    expect(links.last).to_contain_text("Password")
    tab_to(page, links.first.inner_text())
    page.keyboard.press("Enter")
    expect(page.get_by_label("Username")).to_be_focused()
