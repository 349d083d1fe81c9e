import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from registration.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {
        "sign-up:address": (2, 600),
        "sign-up:account": (2, 600),
        "login:address": (3, 300),
        "login:account": (2, 300),
    }
    return settings.RATE_LIMITS


def sign_up(client, number: int, email: str | None = None, **extra):
    return client.post(
        "/register/",
        {
            "username": f"rita{number}",
            "email": email or f"rita{number}@example.com",
            "password": "correct horse battery",
        },
        **extra,
    )


def test_signups_from_one_address_are_limited(client, limits):
    assert sign_up(client, 1).status_code == 302
    client.logout()
    assert sign_up(client, 2).status_code == 302
    client.logout()

    refused = sign_up(client, 3)
    htmx_refused = sign_up(client, 4, HTTP_HX_REQUEST="true")

    assert refused.status_code == 429
    assert re.search(
        r"Too many sign-up attempts. Please wait about \d+ minutes?",
        refused.content.decode(),
    )
    assert 'value="rita3"' in refused.content.decode()  # what was typed is kept
    assert htmx_refused.status_code == 200  # htmx 2 swaps 2xx only
    assert "Too many sign-up attempts" in htmx_refused.content.decode()
    assert User.objects.count() == 2
    other_address = sign_up(client, 5, REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 302


def test_signups_for_one_email_are_limited_across_addresses(client, limits):
    for number, address in enumerate(["198.51.100.1", "198.51.100.2"]):
        sign_up(client, number, email="same@example.com", REMOTE_ADDR=address)
    refused = sign_up(client, 9, email="SAME@example.com", REMOTE_ADDR="198.51.100.3")
    assert refused.status_code == 429


def test_login_attempts_per_account_are_limited_without_hashing(
    client, limits, monkeypatch
):
    User.objects.create_user("sam", "sam@example.com", "correct horse battery")
    for _ in range(2):
        wrong = client.post("/login/", {"username": "sam", "password": "nope"})
        assert wrong.status_code == 200
    hashes = []
    monkeypatch.setattr(
        MD5PasswordHasher, "verify", lambda *args: hashes.append(1) or True
    )

    refused = client.post(
        "/login/", {"username": "SAM", "password": "correct horse battery"}
    )

    assert refused.status_code == 429
    assert "Too many login attempts" in refused.content.decode()
    assert hashes == []
    assert "_auth_user_id" not in client.session


def test_forwarded_address_is_used_only_when_trusted(client, limits, settings):
    for number in range(2):
        sign_up(client, number, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 192.0.2.7")
        client.logout()
    # Untrusted: every request comes from REMOTE_ADDR, so the third is refused.
    assert sign_up(client, 3, HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 429

    settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR = True
    allowed = sign_up(client, 4, HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.8")
    assert allowed.status_code == 302
