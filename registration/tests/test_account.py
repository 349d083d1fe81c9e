"""Managing the account over HTTP: change the address, sign browsers out,
delete the account with everything in it."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from huey.contrib.djhuey import HUEY

from avatars.models import Avatar
from registration.models import Profile, User
from testing.client import post, queued_resizes, signup
from testing.mail import deliver
from testing.storage import stored_names
from testing.thumbnails import write_thumbnails

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "Chrome/131.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
LINK = re.compile(r"https?://testserver(/accounts/[^\s]+/)")


def log_in(login: str, user_agent: str = LAPTOP, password: str = PASSWORD) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/accounts/login/", {"login": login, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def signed_in(client: Client) -> bool:
    return client.get("/profile/").status_code == 200


def everything_of(username: str) -> dict:
    """What the site keeps about an account, by kind."""
    return {
        "users": User.objects.filter(username__iexact=username).count(),
        "profiles": Profile.objects.filter(user__username__iexact=username).count(),
        "avatars": Avatar.objects.filter(user__username__iexact=username).count(),
        "addresses": EmailAddress.objects.filter(
            email__iexact=f"{username}@example.com"
        ).count(),
        "sessions": UserSession.objects.filter(user__username__iexact=username).count(),
        "originals": stored_names("uploads", "originals"),
        "thumbnails": stored_names("default", "avatars"),
    }


NOTHING = {
    "users": 0,
    "profiles": 0,
    "avatars": 0,
    "addresses": 0,
    "sessions": 0,
    "originals": [],
    "thumbnails": [],
}


@pytest.fixture
def member(photo_jpeg) -> Client:
    """hana, signed up on a laptop with a photo still waiting in the queue."""
    client = Client(HTTP_USER_AGENT=LAPTOP)
    signup(client, photo_jpeg)
    return client


# --- Delete ------------------------------------------------------------------


def test_the_delete_page_says_what_goes_and_asks_for_the_password(member):
    html = member.get("/accounts/delete/").content.decode()

    assert "Delete your account" in html
    assert "your photo" in html
    assert 'name="password"' in html
    assert 'autocomplete="current-password"' in html
    assert "csrfmiddlewaretoken" in html


def test_the_delete_page_is_for_members_only(client):
    response = client.get("/accounts/delete/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_wrong_password_deletes_nothing(member):
    before = everything_of("hana")

    response = post(member, "/accounts/delete/", {"password": "not it"})

    assert response.status_code == 200
    assert "Incorrect password." in response.content.decode()
    assert everything_of("hana") == before
    assert signed_in(member)


def test_deleting_removes_everything_and_signs_out_every_browser(member):
    phone = log_in("hana", PHONE)
    avatar = User.objects.get(username="hana").avatar
    # Thumbnails a running resize has written and claimed.
    Avatar.objects.filter(pk=avatar.pk).update(thumbnails=write_thumbnails())
    task_id = avatar.task_id
    assert everything_of("hana")["originals"]
    assert everything_of("hana")["sessions"] == 2

    response = post(member, "/accounts/delete/", {"password": PASSWORD}, follow=True)

    assert everything_of("hana") == NOTHING
    assert response.redirect_chain[0] == ("/", 302)
    assert "Your account is deleted" in response.content.decode()
    assert not signed_in(member)
    assert not signed_in(phone)
    # The queued resize is revoked: the worker drops it unopened.
    assert [task.id for task in queued_resizes()] == [task_id]
    assert HUEY.is_revoked(task_id)


def test_a_recent_confirmation_of_access_stands_for_the_password(member):
    member.post("/accounts/reauthenticate/", {"password": PASSWORD})

    page = member.get("/accounts/delete/").content.decode()
    response = post(member, "/accounts/delete/", {})

    assert 'name="password"' not in page
    assert response.status_code == 302
    assert everything_of("hana") == NOTHING


def test_the_password_tries_are_limited(member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reauthenticate": "3/m/user"}
    for _ in range(3):
        wrong = member.post("/accounts/delete/", {"password": "guess"})
        assert wrong.status_code == 200

    response = member.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 429
    assert User.objects.filter(username="hana").exists()


def test_the_same_username_and_address_can_sign_up_again(member, photo_jpeg):
    post(member, "/accounts/delete/", {"password": PASSWORD})

    response = signup(Client(), photo_jpeg)

    assert response["HX-Redirect"] == "/profile/"
    assert User.objects.get().username == "hana"


def test_deleting_in_the_admin_removes_the_same(member, admin_client):
    phone = log_in("hana", PHONE)
    user = User.objects.get(username="hana")

    response = post(
        admin_client,
        f"/admin/registration/user/{user.pk}/delete/",
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert everything_of("hana") == NOTHING
    assert not signed_in(phone)


# --- Sessions ----------------------------------------------------------------


def test_the_sessions_page_lists_each_browser_by_name(member):
    log_in("hana", PHONE)

    html = member.get("/accounts/sessions/").content.decode()

    assert "Firefox on Linux" in html
    assert "Chrome on Android" in html
    assert html.count("This browser") == 1
    assert "Sign out all other browsers" in html


def test_signing_out_one_other_browser(member):
    phone = log_in("hana", PHONE)
    tablet = log_in("HANA@example.com", "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)")
    phone_session = UserSession.objects.get(user_agent=PHONE)

    response = member.post(
        "/accounts/sessions/", {"end": str(phone_session.pk)}, follow=True
    )

    assert "That browser is signed out." in response.content.decode()
    assert not signed_in(phone)
    assert signed_in(tablet)
    assert signed_in(member)


def test_signing_out_all_other_browsers(member):
    phone, tablet = log_in("hana", PHONE), log_in("hana", "iPad")

    response = member.post("/accounts/sessions/", {"end": "others"}, follow=True)

    assert "2 browsers are signed out." in response.content.decode()
    assert not signed_in(phone)
    assert not signed_in(tablet)
    assert signed_in(member)


def test_signing_out_everywhere_includes_this_browser(member):
    phone = log_in("hana", PHONE)

    response = member.post("/accounts/sessions/", {"end": "all"})

    assert response["Location"] == "/accounts/login/"
    assert not signed_in(member)
    assert not signed_in(phone)


@pytest.mark.parametrize("end", ["", "12345", "others", "x" * 500])
def test_a_session_that_is_not_there_gets_a_message(member, end):
    User.objects.create_user("ivo", "ivo@example.com", PASSWORD)
    ivo = log_in("ivo")
    ivo_session = UserSession.objects.get(user__username="ivo")
    end = end or str(ivo_session.pk)  # someone else's: not listed, not ended

    response = member.post("/accounts/sessions/", {"end": end})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert signed_in(ivo)
    assert signed_in(member)


def test_a_browser_signed_in_before_sessions_were_recorded_is_listed(member):
    UserSession.objects.all().delete()

    html = member.get("/accounts/sessions/").content.decode()

    assert "This browser" in html
    assert UserSession.objects.count() == 1


# --- Change of address ---------------------------------------------------------


def change_address(client: Client, new: str):
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return post(client, "/accounts/email/", {"email": new, "action_add": ""})


def test_changing_the_address_asks_for_the_password_first(member):
    response = post(
        member, "/accounts/email/", {"email": "new@example.com", "action_add": ""}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="new@example.com").exists()


def test_a_new_address_counts_only_once_confirmed_and_the_old_one_is_told(member):
    deliver()
    mail.outbox.clear()

    change_address(member, "hana.new@example.com")
    deliver()

    (confirmation,) = mail.outbox
    assert confirmation.to == ["hana.new@example.com"]
    page = member.get("/accounts/email/").content.decode()
    assert "Changing to hana.new@example.com" in page
    assert User.objects.get().email == "hana@example.com"
    # Until it is confirmed the old address signs in, not the new one.
    log_in("hana@example.com")
    refused = Client().post(
        "/accounts/login/", {"login": "hana.new@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 200

    post(member, LINK.search(confirmation.body).group(1), {})
    deliver()

    assert User.objects.get().email == "hana.new@example.com"
    assert list(EmailAddress.objects.values_list("email", "primary", "verified")) == [
        ("hana.new@example.com", True, True)
    ]
    notice = mail.outbox[-1]
    assert notice.to == ["hana@example.com"]
    assert "hana.new@example.com" in notice.body
    log_in("HANA.NEW@example.com")
    assert (
        Client()
        .post("/accounts/login/", {"login": "hana@example.com", "password": PASSWORD})
        .status_code
        == 200
    )


def test_an_address_of_another_account_is_taken(member):
    User.objects.create_user("ivo", "Ivo@Example.com", PASSWORD)

    response = change_address(member, "ivo@example.com")

    assert "An account with that e-mail already exists." in response.content.decode()
    assert User.objects.get(username="hana").email == "hana@example.com"


def test_a_link_to_an_address_another_account_took_meanwhile_is_refused(member):
    change_address(member, "both@example.com")
    deliver()
    link = LINK.search(mail.outbox[-1].body).group(1)
    User.objects.create_user("ivo", "both@example.com", PASSWORD)

    response = post(member, link, {}, follow=True)

    assert response.status_code == 200
    assert "is used by another account" in response.content.decode()
    assert User.objects.get(username="hana").email == "hana@example.com"
