"""Section k: a sign-in with the password against one with a passkey.

Both on the site's web line, each from a new visitor with the login page
already open (its CSRF cookie): the password's POST (the Argon2 hash), and the
passkey's two requests, the options fetched by the page's script and the
signed assertion posted back, which allauth verifies with one signature check
and no hash. The passkey is a software key (testing.webauthn) added through
the pages at http://localhost, as WebAuthn requires a host name.
"""

import json
import re
import time
from urllib.parse import urlencode

from bench.client import CSRF_INPUT, Response, Visitor
from bench.servers import Web
from bench.stats import Report
from testing.webauthn import SoftKey

PASSWORD = "correct horse battery"
JS_DATA = re.compile(rb'<script id="js_data" type="application/json">(.*?)</script>')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Guest(Visitor):
    """A visitor at http://localhost:PORT (the connection still goes to
    127.0.0.1): the relying party id is the Host header's name."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.host = "localhost"

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        form = self.get(path) if "csrftoken" not in self.cookies else None
        token = self.cookies.get("csrftoken", "")
        if form is not None and (match := CSRF_INPUT.search(form.body)):
            token = match.group(1).decode()
        body = urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self.request("POST", path, body, {**FORM, "X-CSRFToken": token})


def expect_redirect(response: Response, where: str, what: str) -> None:
    if response.status != 302 or response.headers["Location"] != where:
        raise RuntimeError(
            f"{what} answered {response.status} {response.headers['Location']}: "
            + response.body[:1000].decode(errors="replace")
        )


def member(username: str) -> None:
    from allauth.account.models import EmailAddress

    from registration.models import User

    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=True
    )


def add_passkey(web: Web, username: str) -> SoftKey:
    """Sign in with the password, then add a passkey through the pages."""
    guest = Guest(web.port)
    response = guest.post_form(
        "/accounts/login/", {"login": username, "password": PASSWORD}
    )
    expect_redirect(response, "/profile/", "the password sign-in")
    # Adding a factor asks to confirm access, even just after the password.
    response = guest.post_form("/accounts/reauthenticate/", {"password": PASSWORD})
    expect_redirect(response, "/profile/", "confirming access")
    page = guest.get("/accounts/2fa/webauthn/add/")
    found = JS_DATA.search(page.body)
    if page.status != 200 or found is None:
        raise RuntimeError(f"the add-key page answered {page.status} with no options")
    key = SoftKey(f"http://localhost:{web.port}")
    credential = key.create(json.loads(found.group(1))["creation_options"])
    response = guest.post_form(
        "/accounts/2fa/webauthn/add/",
        {"name": "Bench", "passwordless": "on", "credential": json.dumps(credential)},
    )
    expect_redirect(response, "/accounts/2fa/recovery-codes/", "adding the key")
    return key


def password_sign_in(web: Web, username: str) -> float:
    guest = Guest(web.port)
    guest.get("/accounts/login/")
    response = guest.post_form(
        "/accounts/login/", {"login": username, "password": PASSWORD}
    )
    expect_redirect(response, "/profile/", "a password sign-in")
    return response.seconds


def passkey_sign_in(web: Web, key: SoftKey) -> tuple[float, float]:
    """The assertion's POST alone, and the options' GET plus the POST."""
    guest = Guest(web.port)
    guest.get("/accounts/login/")
    started = time.perf_counter()
    options = guest.get("/accounts/2fa/webauthn/login/", Accept="application/json")
    if options.status != 200:
        raise RuntimeError(f"the passkey options answered {options.status}")
    assertion = key.get(json.loads(options.body)["request_options"])
    response = guest.post_form(
        "/accounts/2fa/webauthn/login/", {"credential": json.dumps(assertion)}
    )
    both = time.perf_counter() - started
    expect_redirect(response, "/profile/", "a passkey sign-in")
    return response.seconds, both


def sign_ins(report: Report, ours: Web, runs: int) -> None:
    member("kpassword")
    member("kpasskey")
    key = add_passkey(ours, "kpasskey")
    password: list[float] = []
    passkey: list[float] = []
    passkey_both: list[float] = []
    for round_number in range(max(runs, 3)):
        # Alternate which goes first, so neither always meets a warm server.
        if round_number % 2:
            password.append(password_sign_in(ours, "kpassword"))
        post, both = passkey_sign_in(ours, key)
        passkey.append(post)
        passkey_both.append(both)
        if not round_number % 2:
            password.append(password_sign_in(ours, "kpassword"))
    report.add("k", "sign-in with the password (POST)", "s", password)
    report.add("k", "sign-in with a passkey (POST)", "s", passkey)
    report.add(
        "k", "sign-in with a passkey (options + POST)", "s", passkey_both, ("<=", 0.25)
    )
    report.add(
        "k",
        "password / passkey (POST)",
        "x",
        [a / b for a, b in zip(password, passkey, strict=True)],
        (">=", 1.0),
        note="same round",
    )
