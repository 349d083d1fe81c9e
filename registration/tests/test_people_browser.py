"""In Chromium: the top bar follows your photo, the directory's search narrows
as you type, and a failed htmx request says so in place."""

import pytest
from playwright.sync_api import expect

from registration.models import User
from registration.tests.test_browser import sign_up, write_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_top_bar_avatar_turns_into_the_photo_without_a_reload(
    page, tmp_path, start_consumer, gate
):
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    sign_up(page, "hugo", write_photo(tmp_path, "h.jpg", size=(900, 900)))
    expect(page.locator("#header-avatar img.avatar-img--initials")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    gate.wait_for_task()
    gate.release()

    expect(page.locator("#header-avatar img.avatar-img--photo")).to_be_visible()
    assert page.locator("#header-avatar img").get_attribute("src").endswith("-32.webp")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#header-avatar").count() == 1


def test_the_directory_search_narrows_the_list_as_you_type(page):
    for name in ("alma", "alvaro", "bruno", "carla"):
        User.objects.create_user(name, f"{name}@example.com", "correct horse battery")
    sign_up(page, "dora")
    page.get_by_role("link", name="People").click()
    cards = page.locator(".people__name")
    expect(cards).to_have_count(5)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Search by username").press_sequentially("al", delay=50)

    expect(cards).to_have_text(["alma", "alvaro"])  # by name
    assert page.url.endswith("/people/?q=al")
    page.get_by_label("Search by username").press_sequentially("m")
    expect(cards).to_have_text(["alma"])
    assert page.evaluate("window.notReloaded") is True
    page.go_back()
    expect(cards).to_have_text(["alma", "alvaro"])  # by name


def test_a_failed_htmx_request_is_said_in_place(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_up(page, "fay")

    page.get_by_label("Bio").fill("Hello")
    expect(page.get_by_text("295 characters left")).to_be_visible()
    # The form's CSRF token no longer matches (a session ended elsewhere).
    context.add_cookies(
        [{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}]
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("This page is out of date")

    context.set_offline(True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Could not reach the site")
    context.close()
