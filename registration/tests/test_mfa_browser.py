"""A person in Chromium, at a phone's width and a laptop's: set up an
authenticator app through the pages with the key they show, sign out, sign in
with a code; no Content-Security-Policy violation on the way."""

from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from registration.models import User
from registration.tests.test_browser import log_in
from testing import chromium, totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/mfa-screenshots")


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> None:
    totp.hold_clock(monkeypatch)


@pytest.mark.parametrize("width", [390, 1280])
def test_set_up_an_authenticator_app_and_sign_in_with_a_code(
    browser, live_server, width
):
    user = User.objects.create_user("mira", "mira@example.com", "correct horse battery")
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=True
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    violations = chromium.record_csp_violations(page)

    page.goto("/accounts/login/")
    log_in(page, "mira")
    page.wait_for_url("**/profile/")
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("Two-factor")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Confirm").click()
    qr = page.get_by_alt_text("QR code for the key below")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    key = page.locator("#totp-key").inner_text()
    # The QR code and the key fit a phone's width: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=SCREENSHOTS / f"set-up-{width}.png", full_page=True)
    page.get_by_label("Authenticator code").fill(totp.code(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("10 of 10 left.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"recovery-codes-{width}.png", full_page=True)
    page.get_by_role("link", name="Back to two-factor sign-in").click()
    expect(page.get_by_text("Every sign-in with your password")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"tab-{width}.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    log_in(page, "mira")
    page.wait_for_url("**/2fa/authenticate/")
    page.get_by_label("Code").fill(totp.code(key))
    page.screenshot(path=SCREENSHOTS / f"code-{width}.png", full_page=True)
    page.get_by_role("button", name="Sign in").click()
    decline_trust(page, "mira")
    assert violations == []
    context.close()


def decline_trust(page, username: str) -> None:
    """After the second factor: not this browser, and on to the profile."""
    page.wait_for_url("**/2fa/trust/")
    page.get_by_role("button", name="Not this browser").click()
    page.wait_for_url("**/profile/")
    expect(page.locator(".me__name")).to_have_text(username)
