"""Attempt limits that hold against the ways round them: another spelling of
the account, another Host header, enough sessions to push the counters out."""

import pytest
from django.test import Client

from registration.models import User

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


@pytest.fixture
def limits(settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,3/5m/key"}
    User.objects.create_user("Bob", "bob@example.com", "correct horse battery")


def log_in(login: str, password: str, address: str = "10.0.0.1", **extra):
    return Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"login": login, "password": password}, **extra
    )


def spend_the_accounts_budget() -> None:
    for _ in range(3):
        assert TOO_MANY not in log_in("bob", "wrong").content.decode()


@pytest.mark.parametrize(
    "login",
    [" bob", "ｂｏｂ", "Bob\t", "BOB", "bob@example.com", "BOB@EXAMPLE.COM"],
    ids=["space", "fullwidth", "tab", "case", "e-mail", "e-mail case"],
)
def test_another_spelling_of_the_account_gets_no_fresh_budget(limits, login):
    spend_the_accounts_budget()

    response = log_in(login, "correct horse battery", address="10.0.0.2")

    assert TOO_MANY in response.content.decode()


def test_another_host_header_gets_no_fresh_budget(limits, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    spend_the_accounts_budget()

    response = log_in("bob", "correct horse battery", HTTP_HOST="other.example")

    assert TOO_MANY in response.content.decode()


def test_attempts_refused_by_the_address_limit_do_not_count_against_the_account(
    settings,
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/m/ip,3/5m/key"}
    User.objects.create_user("Bob", "bob@example.com", "correct horse battery")
    for _ in range(10):  # two fail, eight are refused before any hash
        log_in("bob", "wrong", address="10.0.0.9")

    response = log_in("bob", "correct horse battery", address="10.0.0.3")

    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_the_admin_login_is_the_sites_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_flood_of_sign_ups_does_not_evict_the_login_counters(limits, settings):
    """Hundreds of sign-up posts with random e-mails from one address, each
    leaving a session in the cache beside the login counters. The sign-up
    limit is per address, so what they leave in the counters' cache (Django's
    small in-memory one here) stays far below what would evict them."""
    settings.ACCOUNT_RATE_LIMITS = {
        "login_failed": "100/m/ip,3/5m/key",
        "signup": "20/m/ip",
        "confirm_email": "1/3m/key",
    }
    spend_the_accounts_budget()
    flood = Client(REMOTE_ADDR="10.0.0.66")
    for n in range(400):  # each signs up, and is signed in: a session each
        flood.cookies.clear()
        flood.post(
            "/register/",
            {
                "username": f"f{n:04d}",
                "email": f"f{n}@example.com",
                "password1": "correct horse battery",
            },
        )

    response = log_in("bob", "correct horse battery", address="10.0.0.2")

    assert TOO_MANY in response.content.decode()
