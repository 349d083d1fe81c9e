"""In Chromium, with the real worker sending to a real SMTP server on loopback:
confirm the address from the received link; forget the password, reset it from
the received link, log in by e-mail with the new one; the old link is dead."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from registration.tests.test_browser import log_in, sign_up
from testing.mail import Inbox, smtp_server

# The full flow runs on the default backend; the integration subset covers the
# others (CI time).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


def next_message(inbox: Inbox, seen: int, timeout: float = 30) -> str:
    """The text part of the message after the first `seen` ones."""
    deadline = time.monotonic() + timeout
    while len(inbox.messages) <= seen:
        assert time.monotonic() < deadline, "no e-mail arrived"
        time.sleep(0.05)
    message = inbox.messages[seen]
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/accounts/\S+/", text).group(0)


def test_confirm_then_forget_and_reset_the_password(page, start_consumer, inbox):
    start_consumer(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port))

    sign_up(page, "nora")
    expect(page.get_by_text("Please confirm your e-mail address")).to_be_visible()
    page.goto(link_in(next_message(inbox, 0)))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You have confirmed")).to_be_visible()
    page.goto("/profile/")
    expect(page.get_by_text("Please confirm your e-mail address")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("nora@example.com")
    page.get_by_role("button", name="Reset My Password").click()
    # The page moves on to "done" while the e-mail travels: let it arrive
    # there first, or the link's navigation races it.
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    reset_link = link_in(next_message(inbox, 1))
    page.goto(reset_link)
    page.get_by_label("New Password", exact=True).fill("a brand new secret 9")
    page.get_by_label("New Password (again)").fill("a brand new secret 9")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    page.goto("/accounts/login/")
    log_in(page, "NORA@example.com", "a brand new secret 9")
    page.wait_for_url("**/profile/")

    page.goto(reset_link)
    expect(page.get_by_text("Bad Token")).to_be_visible()


def recipient(inbox: Inbox, index: int) -> str:
    return inbox.messages[index]["To"]


def test_change_the_address_through_the_received_messages(page, start_consumer, inbox):
    start_consumer(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port))
    sign_up(page, "olive")
    next_message(inbox, 0)  # the sign-up's confirmation

    page.get_by_role("link", name="E-mail address").click()
    page.get_by_label("New address").fill("olive.new@example.com")
    page.get_by_role("button", name="Change address").click()
    # Confirming access first, then the change goes through.
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Changing to olive.new@example.com")).to_be_visible()

    link = link_in(next_message(inbox, 1))
    assert recipient(inbox, 1) == "olive.new@example.com"
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You have confirmed")).to_be_visible()
    notice = next_message(inbox, 2)
    assert recipient(inbox, 2) == "olive@example.com"
    assert "olive.new@example.com" in notice

    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    log_in(page, "olive@example.com")
    expect(page.get_by_text("are not correct")).to_be_visible()
    log_in(page, "olive.new@example.com")
    page.wait_for_url("**/profile/")


def test_in_the_mandatory_mode_the_link_comes_before_the_profile(
    page, start_consumer, inbox, settings
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    start_consumer(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port))

    page.goto("/register/")
    page.get_by_label("Username").fill("mona")
    page.get_by_label("Email address").fill("mona@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    expect(
        page.get_by_role("heading", name="Verify Your Email Address")
    ).to_be_visible()
    page.goto("/profile/")
    page.wait_for_url("**/accounts/login/**")  # not signed in before the link

    page.goto(link_in(next_message(inbox, 0)))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You have confirmed mona@example.com")).to_be_visible()
    page.wait_for_url("**/accounts/login/**")
    log_in(page, "mona@example.com")
    page.wait_for_url("**/profile/")
    expect(page.get_by_text("Please confirm your e-mail address")).to_have_count(0)
