"""The system's settings, through Playwright's media emulation: a dark theme
decided by CSS alone (no script, so nothing light is painted first), and no
spinning for those who asked for reduced motion."""

import pytest
from playwright.sync_api import expect

from avatars.models import Avatar, State
from testing.accessibility import Visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BACKGROUNDS = """() => [
  document.documentElement,
  document.querySelector(".card"),
  document.getElementById("id_login"),
].map((el) => getComputedStyle(el).backgroundColor)"""


@pytest.mark.parametrize(
    ("scheme", "page_background", "card", "field"),
    [
        ("light", "rgb(245, 247, 251)", "rgb(255, 255, 255)", "rgb(255, 255, 255)"),
        ("dark", "rgb(15, 20, 32)", "rgb(23, 29, 43)", "rgb(23, 29, 43)"),
    ],
)
def test_the_theme_follows_the_system_without_any_script(
    browser, live_server, scheme, page_background, card, field
):
    # No JavaScript at all: what the first paint shows is what the page keeps.
    context = browser.new_context(
        base_url=live_server.url, color_scheme=scheme, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/accounts/login/")

    root, section, login = page.evaluate(BACKGROUNDS)
    context.close()

    assert (root, section, login) == (page_background, card, field)


def test_the_canvas_is_dark_before_the_stylesheet_arrives(browser, live_server):
    context = browser.new_context(base_url=live_server.url, color_scheme="dark")
    page = context.new_page()
    page.route("**/site.css", lambda route: route.abort())  # as if still loading
    page.goto("/accounts/login/")

    canvas = page.screenshot(clip={"x": 0, "y": 0, "width": 1, "height": 1})
    context.close()

    # <meta name="color-scheme"> in the head: the browser's own dark canvas.
    assert canvas != light_pixel(browser)


def light_pixel(browser) -> bytes:
    page = browser.new_page(color_scheme="light")
    page.set_content('<meta name="color-scheme" content="light dark">')
    pixel = page.screenshot(clip={"x": 0, "y": 0, "width": 1, "height": 1})
    page.close()
    return pixel


@pytest.mark.parametrize(
    ("motion", "animation"), [("no-preference", "spin"), ("reduce", "none")]
)
def test_reduced_motion_stops_the_spinner(browser, live_server, motion, animation):
    context = browser.new_context(base_url=live_server.url, reduced_motion=motion)
    user = sign_in(Visit(context, live_server.url))
    Avatar.objects.filter(pk=user.pk).update(state=State.PROCESSING, image="o/p.jpg")
    page = context.new_page()
    page.goto("/profile/")
    spinner = page.locator("#avatar .spinner")
    expect(spinner).to_be_visible()

    name = spinner.evaluate("el => getComputedStyle(el).animationName")
    context.close()

    assert name == animation
