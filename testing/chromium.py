"""Chromium for Playwright, as the tests and the benchmark both launch it."""

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the benchmark's tool check runs without importing Playwright
    from playwright.sync_api import Browser, Page, Playwright

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def path() -> str | None:
    """Debian's Chromium, or CHROMIUM_PATH; None when neither is there."""
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    return found if found and Path(found).exists() else None


def launch(playwright: "Playwright", executable_path: str | None) -> "Browser":
    """executable_path None launches Playwright's own browser, if installed."""
    return playwright.chromium.launch(executable_path=executable_path, args=FLAGS)


def fill_sign_up_form(page: "Page", username: str) -> None:
    """Open the sign-up page and fill in the account, as a person would; the
    photo, and the click on "Sign up", are the caller's."""
    page.goto("/register/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(f"{username}@example.com")
    page.get_by_label("Password").fill("correct horse battery")


def record_csp_violations(page: "Page") -> list[str]:
    """The Content-Security-Policy violations the page reports from now on, as
    a list that grows while the page is used."""
    violations: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' +"
        " e.blockedURI))"
    )

    def record(message: Any) -> None:
        text = message.text.lower()
        if "csp violation" in text or "content security policy" in text:
            violations.append(message.text)

    page.on("console", record)
    return violations


def add_virtual_authenticator(page: "Page") -> tuple[Any, str]:
    """A platform authenticator (like a phone's fingerprint reader) for the
    page's browser context, through the DevTools protocol: it makes resident,
    user-verified credentials and answers without a touch. Returns the CDP
    session and the authenticator's id, to read or change its credentials."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]
