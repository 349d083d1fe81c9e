"""Passkeys and security keys in Chromium with a virtual authenticator, at
http://localhost:PORT (browsers refuse WebAuthn at an IP address): add a
passkey through the pages and sign in with it alone, at a phone's width and a
laptop's; a key added as a second factor confirms a password sign-in and is
refused on its own even when the authenticator made it discoverable; a
removed key signs in no more; no Content-Security-Policy violation."""

import base64
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from registration.models import User
from registration.tests.test_browser import log_in
from registration.tests.test_mfa_browser import decline_trust
from testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/passkeys-screenshots")
PASSWORD = "correct horse battery"


@pytest.fixture
def mira() -> User:
    user = User.objects.create_user("mira", "mira@example.com", PASSWORD)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=True
    )
    return user


def open_site(browser, live_server, width: int = 1280) -> tuple[Page, list[str]]:
    assert live_server.url.startswith("http://localhost:")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    return page, chromium.record_csp_violations(page)


def add_key(page: Page, name: str, passkey: bool) -> None:
    """From the Two-factor tab, through confirm access, to the key listed."""
    page.get_by_role("link", name="Add a key or passkey").click()
    confirm = page.get_by_role("button", name="Confirm")
    name_field = page.get_by_label("Name")
    expect(confirm.or_(name_field)).to_be_visible()
    if confirm.is_visible():
        page.get_by_label("Password").fill(PASSWORD)
        confirm.click()
    name_field.fill(name)
    page.get_by_label("Use it as a passkey").set_checked(passkey)
    page.get_by_role("button", name="Add", exact=True).click()
    # The first factor brings recovery codes; a later one the tab itself.
    back = page.get_by_role("link", name="Back to two-factor sign-in")
    keys = page.locator(".key", has_text=name)
    expect(back.or_(keys)).to_be_visible()
    if back.is_visible():
        back.click()
    expect(keys).to_contain_text("Passkey" if passkey else "Second factor")


def sign_in_with_a_passkey(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def go_to_two_factor(page: Page) -> None:
    page.goto("/accounts/login/")
    log_in(page, "mira")
    page.wait_for_url("**/profile/")
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("Two-factor")


@pytest.mark.parametrize("width", [390, 1280])
def test_add_a_passkey_and_sign_in_with_it_alone(browser, live_server, mira, width):
    page, violations = open_site(browser, live_server, width)
    chromium.add_virtual_authenticator(page)
    go_to_two_factor(page)
    # Reached through hx-boost: the Add button must still start the ceremony.
    add_key(page, "Phone", passkey=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=SCREENSHOTS / f"keys-{width}.png", full_page=True)

    sign_out(page)
    page.screenshot(path=SCREENSHOTS / f"login-{width}.png", full_page=True)
    sign_in_with_a_passkey(page)
    page.wait_for_url("**/profile/")
    expect(page.locator(".me__name")).to_have_text("mira")
    key = Authenticator.objects.get(user=mira, type=Authenticator.Type.WEBAUTHN)
    assert key.last_used_at is not None
    assert violations == []
    page.context.close()


def test_a_second_factor_key_confirms_a_password_sign_in_but_never_signs_in_alone(
    browser, live_server, mira
):
    page, violations = open_site(browser, live_server)
    cdp, authenticator_id = chromium.add_virtual_authenticator(page)
    go_to_two_factor(page)
    add_key(page, "YubiKey", passkey=False)

    # The authenticator makes the credential discoverable anyway, as a
    # platform authenticator may: the browser offers it to "Sign in with a
    # passkey", and only the server stands in the way.
    (credential,) = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator_id}
    )["credentials"]
    cdp.send(
        "WebAuthn.removeCredential",
        {
            "authenticatorId": authenticator_id,
            "credentialId": credential["credentialId"],
        },
    )
    credential["isResidentCredential"] = True
    # The user handle allauth gave the key when it was made.
    handle = user_pk_to_url_str(mira).encode()
    credential["userHandle"] = base64.b64encode(handle).decode()
    cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": authenticator_id, "credential": credential},
    )
    sign_out(page)
    sign_in_with_a_passkey(page)
    expect(page.get_by_text("added as a second factor only")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    # After the password, the same key is the second factor.
    log_in(page, "mira")
    page.wait_for_url("**/2fa/authenticate/")
    page.screenshot(path=SCREENSHOTS / "second-factor.png", full_page=True)
    page.get_by_role("button", name="Use a security key").click()
    decline_trust(page, "mira")
    assert violations == []
    page.context.close()


def test_a_removed_key_signs_in_no_more(browser, live_server, mira):
    page, violations = open_site(browser, live_server)
    chromium.add_virtual_authenticator(page)
    go_to_two_factor(page)
    add_key(page, "Phone", passkey=True)
    page.get_by_role("link", name="Remove Phone").click()
    confirm = page.get_by_role("button", name="Confirm")
    remove = page.get_by_role("button", name="Remove it")
    expect(confirm.or_(remove)).to_be_visible()
    if confirm.is_visible():
        page.get_by_label("Password").fill(PASSWORD)
        confirm.click()
    expect(page.get_by_text("It is your last factor")).to_be_visible()
    remove.click()
    expect(page.get_by_text("Two-factor sign-in is off")).to_be_visible()
    expect(page.get_by_text("None added yet.")).to_be_visible()
    assert not Authenticator.objects.filter(user=mira).exists()

    sign_out(page)
    # The browser still holds the credential and offers it; the site refuses.
    sign_in_with_a_passkey(page)
    expect(page.get_by_text("not on any account here")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert violations == []
    page.context.close()
