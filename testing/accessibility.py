"""The accessibility audit: every page, as a person reaches it, through axe-core.

PAGES lists what is audited; a page added later is audited by adding one line
there. DISABLED_RULES is the one place a rule may be turned off, with why.
config/tests/test_accessibility_browser.py runs each page at both widths in
both themes and fails on any violation of serious or critical impact.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from django.views import defaults
from playwright.sync_api import BrowserContext, Page, Route

from avatars.models import Avatar, State
from exports import models as exports
from registration.models import Profile, Visibility
from testing import image_factory
from testing.members import add_members
from testing.thumbnails import write_thumbnails

WIDTHS = {"390x844": (390, 844), "1280x800": (1280, 800)}
Theme = Literal["light", "dark"]
THEMES: tuple[Theme, ...] = ("light", "dark")
FAILING_IMPACTS = ("serious", "critical")
PASSWORD = "correct horse battery"

# Rules turned off for every page, each with the reason. Empty: none is.
DISABLED_RULES: dict[str, str] = {}

_axe = Axe()  # only for the axe-core script it bundles


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    element: str  # axe's CSS selector for it
    html: str
    help: str

    def __str__(self) -> str:
        where = f"{self.rule} ({self.impact}) at {self.element}"
        return f"{where}: {self.help}\n    {self.html}"


def audit(page: Page) -> list[Violation]:
    """The violations of serious or critical impact on the page as it is now
    (its width and theme as set by the caller)."""
    options: dict[str, Any] = {
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in DISABLED_RULES},
    }
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe.axe_script)  # once per page load, not per audit
    response = page.evaluate("options => axe.run(document, options)", options)
    return [
        Violation(
            rule["id"],
            rule["impact"],
            " ".join(node["target"]),
            node["html"],
            rule["help"],
        )
        for rule in response["violations"]
        if rule["impact"] in FAILING_IMPACTS
        for node in rule["nodes"]
    ]


# --- How each page is reached ---------------------------------------------------


@dataclass
class Visit:
    """A browser context on the live server, before the page is opened."""

    context: BrowserContext
    url: str  # the live server's


def sign_in(visit: Visit, username: str = "ada") -> Any:
    """A member with a profile, signed in in the visit's browser; returns them."""
    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", PASSWORD
    )
    Profile.objects.filter(pk=user.pk).update(
        bio="Paints harbours at dawn.", location="Porto", visibility=Visibility.EVERYONE
    )
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    visit.context.add_cookies(
        [{"name": "sessionid", "value": session, "url": visit.url}]
    )
    return user


def with_photo(state: State, **fields: Any) -> Callable[[Visit], None]:
    """Signed in with the photo in this state, as the worker would leave it."""

    def arrange(visit: Visit) -> None:
        user = sign_in(visit)
        now = timezone.now()
        values: dict[str, Any] = {"state": state, "queued_at": now, **fields}
        if state != State.NONE:
            values["image"] = "originals/audit.jpg"  # rendered only, never read
        if state == State.PROCESSING:
            values["started_at"] = now
        if state == State.READY:
            values["thumbnails"] = write_thumbnails()
        Avatar.objects.filter(pk=user.pk).update(**values)

    return arrange


def with_members(visit: Visit) -> None:
    sign_in(visit)
    now = timezone.now() - timedelta(days=1)
    add_members(["bea", "cai", "dov"], photos=[{}, None, None], now=now)


def served_by_django(
    respond: Callable[[], HttpResponseBase],
) -> Callable[[Visit], None]:
    """The page is Django's own answer with DEBUG off, as production serves it;
    the browser gets it at the visit's path and the rest from the live server."""

    def arrange(visit: Visit) -> None:
        with override_settings(DEBUG=False):
            response = respond()
        assert isinstance(response, HttpResponse)  # not a stream

        def fulfill(route: Route) -> None:
            route.fulfill(
                status=response.status_code,
                headers={key: value for key, value in response.items()},
                body=response.content,
            )

        visit.context.route(f"{visit.url}/error/**", fulfill)

    return arrange


def bad_request() -> HttpResponse:
    return defaults.bad_request(RequestFactory().get("/"), BadRequest())


def server_error() -> HttpResponse:
    return defaults.server_error(RequestFactory().get("/"))


def permission_denied() -> HttpResponse:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return defaults.permission_denied(request, PermissionDenied())


def refused_csrf_token() -> HttpResponseBase:
    return Client(enforce_csrf_checks=True).post("/accounts/login/", {})


def oversized_upload() -> HttpResponseBase:
    return Client().generic(
        "POST",
        "/register/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 2**20),
    )


def too_many_attempts() -> HttpResponseBase:
    """allauth's limit on typing the password (here, to delete the account)."""
    client = Client()
    client.force_login(get_user_model().objects.create_user("guesser"))
    with override_settings(ACCOUNT_RATE_LIMITS={"reauthenticate": "1/m/user"}):
        for _ in range(2):
            response = client.post("/accounts/delete/", {"password": "guess"})
    return response


def nothing(_: Any) -> None:
    pass


def send_faulty_sign_up(page: Page) -> None:
    """Past the browser's own checks, refused by the form's."""
    page.get_by_label("Username").fill("no spaces allowed")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    page.locator(".field--error").first.wait_for()


def send_wrong_password(page: Page) -> None:
    page.get_by_label("Login").fill("nobody")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.locator("[data-error-summary]").wait_for()


def choose_photo(page: Page) -> None:
    page.get_by_label("Profile photo").set_input_files(
        {
            "name": "IMG_0001.JPG",
            "mimeType": "image/jpeg",
            "buffer": image_factory.jpeg_bytes(size=(1200, 900)),
        }
    )
    page.locator(".photo-picker__square").wait_for()


def with_export(state: str, **fields: Any) -> Callable[[Visit], None]:
    """Signed in, with an archive in this state, as the worker would leave it."""

    def arrange(visit: Visit) -> None:
        now = timezone.now()
        exports.Export.objects.create(
            user=sign_in(visit), state=state, started_at=now, **fields
        )

    return arrange


@dataclass(frozen=True)
class AuditedPage:
    name: str
    path: str
    arrange: Callable[[Visit], None] = nothing  # rows, a sign-in, a route
    act: Callable[[Page], None] = nothing  # on the page: fill a form, choose a file
    status: int = 200  # what the page answers: it is this page, not another


PAGES = [
    AuditedPage("sign-up", "/register/"),
    AuditedPage("sign-up with errors", "/register/", act=send_faulty_sign_up),
    AuditedPage("sign-up with a photo chosen", "/register/", act=choose_photo),
    AuditedPage("log-in", "/accounts/login/"),
    AuditedPage("log-in with errors", "/accounts/login/", act=send_wrong_password),
    AuditedPage("password reset", "/accounts/password/reset/"),
    AuditedPage("profile, no photo", "/profile/", with_photo(State.NONE)),
    AuditedPage("profile, photo queued", "/profile/", with_photo(State.QUEUED)),
    AuditedPage("profile, photo processing", "/profile/", with_photo(State.PROCESSING)),
    AuditedPage("profile, photo ready", "/profile/", with_photo(State.READY)),
    AuditedPage(
        "profile, photo failed",
        "/profile/",
        with_photo(State.FAILED, error="That file is not a photo we can read."),
    ),
    AuditedPage("directory", "/people/", with_members),
    AuditedPage("directory, no results", "/people/?q=zzz", with_members),
    AuditedPage("a person's page", "/u/bea/", with_members),
    AuditedPage("account: e-mail", "/accounts/email/", sign_in),
    AuditedPage("account: password", "/accounts/password/change/", sign_in),
    AuditedPage("account: two-factor", "/accounts/2fa/", sign_in),
    AuditedPage("account: sessions", "/accounts/sessions/", sign_in),
    AuditedPage("account: delete", "/accounts/delete/", sign_in),
    AuditedPage("account: your data", "/accounts/export/", sign_in),
    AuditedPage(
        "account: your data, preparing",
        "/accounts/export/",
        with_export(exports.State.PREPARING, step=exports.Step.PHOTO),
    ),
    AuditedPage(
        "account: your data, ready",
        "/accounts/export/",
        with_export(
            exports.State.READY,
            archive="exports/audit.zip",  # shown, never read
            size=107_579,
            finished_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=1),
        ),
    ),
    AuditedPage("400", "/error/400/", served_by_django(bad_request), status=400),
    AuditedPage("403", "/error/403/", served_by_django(permission_denied), status=403),
    AuditedPage(
        "403, a refused CSRF token",
        "/error/403/",
        served_by_django(refused_csrf_token),
        status=403,
    ),
    AuditedPage("404", "/no/such/page/", status=404),
    AuditedPage("413", "/error/413/", served_by_django(oversized_upload), status=413),
    AuditedPage("429", "/error/429/", served_by_django(too_many_attempts), status=429),
    AuditedPage("500", "/error/500/", served_by_django(server_error), status=500),
]
