"""Verification and password reset by e-mail, sent through the worker's task."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from registration.models import User
from testing.client import post, signup
from testing.mail import deliver

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://testserver(/accounts/[^\s]+/)")


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def test_sign_up_sends_a_confirmation_from_the_worker_with_text_and_html(client):
    signup(client, username="vera", email="vera@example.com")
    assert mail.outbox == []  # nothing is sent inside the request

    deliver()

    (message,) = mail.outbox
    assert message.to == ["vera@example.com"]
    assert message.subject.startswith("[Avatars]")
    assert "Hello from Avatars!" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver{link_in(message)}"' in html


def test_the_profile_asks_to_confirm_until_the_link_is_opened(client):
    signup(client, username="vera", email="vera@example.com")
    deliver()
    assert (
        "Please confirm your e-mail address" in client.get("/profile/").content.decode()
    )

    page = client.get(link_in(mail.outbox[0]))
    post(client, link_in(mail.outbox[0]), {})

    assert page.status_code == 200
    assert EmailAddress.objects.get(email="vera@example.com").verified
    assert "Please confirm" not in client.get("/profile/").content.decode()


def reset_request(email: str):
    return post(Client(), "/accounts/password/reset/", {"email": email})


def test_the_reset_request_does_not_say_whether_an_address_has_an_account():
    User.objects.create_user("wes", "wes@example.com", "old password 1")

    known, unknown = reset_request("wes@example.com"), reset_request("no@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    deliver()
    assert [message.to for message in mail.outbox] == [
        ["wes@example.com"],
        ["no@example.com"],  # told that no account uses it, as allauth does
    ]


def test_a_reset_link_works_once_confirms_the_address_and_ends_other_sessions():
    user = User.objects.create_user("wes", "wes@example.com", "old password 1")
    EmailAddress.objects.create(user=user, email="wes@example.com", primary=True)
    elsewhere = Client()
    elsewhere.force_login(user)
    reset_request("wes@example.com")
    deliver()
    link = link_in(mail.outbox[0])

    browser = Client()
    form_page = browser.get(link, follow=True)
    done = browser.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "new password 22", "password2": "new password 22"},
    )

    assert done.status_code == 302
    assert EmailAddress.objects.get(email="wes@example.com").verified
    assert elsewhere.get("/profile/").status_code == 302  # signed out there
    assert (
        Client().post(
            "/accounts/login/",
            {"login": "WES@example.com", "password": "new password 22"},
        )["Location"]
        == "/profile/"
    )
    again = Client().get(link, follow=True).content.decode()
    assert "Bad Token" in again or "invalid" in again.lower()


def test_links_use_the_public_address_when_one_is_set(client, settings):
    settings.SITE_URL = "https://avatars.example.com"
    User.objects.create_user("wes", "wes@example.com", "old password 1")

    signup(client, username="vera", email="vera@example.com")
    reset_request("wes@example.com")
    deliver()

    confirm, reset = (message.body for message in mail.outbox)
    assert "https://avatars.example.com/accounts/confirm-email/" in confirm
    assert "https://avatars.example.com/accounts/password/reset/key/" in reset
    assert "testserver/accounts" not in confirm + reset
