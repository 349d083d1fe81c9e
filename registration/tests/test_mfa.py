"""Two-factor sign-in over HTTP: set up an authenticator app with the key the
page shows, sign in with its codes or a recovery code, trust a browser, remove
the factor; the e-mail each change sends, and the admin's requirement."""

import base64
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from registration.models import User
from testing.client import post, signup
from testing.mail import deliver
from testing.totp import code as totp
from testing.totp import hold_clock

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
KEY = re.compile(r'id="totp-key">([A-Z2-7]+)<')
CODES = re.compile(r"<li><code>(\d+)</code></li>")


def test_the_code_function_agrees_with_the_rfc():
    # RFC 6238, appendix B: SHA-1 at T=59 s is 94287082; apps show its last 6.
    key = base64.b32encode(b"12345678901234567890").decode()
    assert totp(key, at=59) == "287082"


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> None:
    hold_clock(monkeypatch)


@pytest.fixture
def member(photo_jpeg) -> Client:
    """hana, signed up, her address confirmed."""
    client = Client()
    signup(client, photo_jpeg)
    EmailAddress.objects.filter(email="hana@example.com").update(verified=True)
    return client


def confirm_access(client: Client) -> None:
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def set_up(client: Client) -> str:
    """Turn on the authenticator app through the pages; its key."""
    confirm_access(client)
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    key = KEY.search(page).group(1)
    response = post(client, "/accounts/2fa/totp/activate/", {"code": totp(key)})
    assert response.status_code == 302, response.content.decode()
    return key


def recovery_codes(client: Client) -> list[str]:
    return CODES.findall(client.get("/accounts/2fa/recovery-codes/").content.decode())


def password_step(client: Client, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": "hana", "password": password})


def sign_in(code: str, client: Client | None = None, trust: bool = False) -> Client:
    """Password, then the code, then the answer to "trust this browser?"."""
    client = client or Client()
    assert password_step(client)["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/accounts/2fa/trust/"
    response = client.post(
        "/accounts/2fa/trust/", {"action": "trust" if trust else "skip"}
    )
    assert response["Location"] == "/profile/"
    return client


def signed_in(client: Client) -> bool:
    return client.get("/profile/").status_code == 200


def subjects() -> list[str]:
    deliver()
    return [message.subject for message in mail.outbox]


# --- The tab --------------------------------------------------------------------------


def test_the_two_factor_tab_says_it_is_not_set_up(member):
    page = member.get("/accounts/2fa/").content.decode()

    assert '<a href="/accounts/2fa/" aria-current="page">Two-factor</a>' in page
    assert "Not set up" in page
    assert 'href="/accounts/2fa/totp/activate/"' in page
    assert "Recovery codes" not in page
    assert "/accounts/2fa/" in member.get("/profile/").content.decode()


def test_an_unconfirmed_address_is_told_to_confirm_first_with_resend_there(
    photo_jpeg,
):
    client = Client()
    signup(client, photo_jpeg)
    deliver()
    mail.outbox.clear()

    page = client.get("/accounts/2fa/").content.decode()
    refused = client.get("/accounts/2fa/totp/activate/", follow=True)

    assert "Confirm hana@example.com first" in page
    assert 'name="action_send"' in page and 'value="hana@example.com"' in page
    assert 'href="/accounts/2fa/totp/activate/"' not in page
    assert refused.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "Confirm your e-mail address first" in refused.content.decode()
    post(client, "/accounts/email/", {"email": "hana@example.com", "action_send": ""})
    deliver()
    assert [message.to for message in mail.outbox] == [["hana@example.com"]]
    assert not Authenticator.objects.exists()


def test_setting_up_asks_to_confirm_access_first(member):
    response = member.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


# --- Authenticator app ----------------------------------------------------------------


def test_set_up_with_the_shown_key_then_every_sign_in_asks_for_a_code(member):
    deliver()
    mail.outbox.clear()
    confirm_access(member)
    page = member.get("/accounts/2fa/totp/activate/").content.decode()
    key = KEY.search(page).group(1)
    assert 'src="data:image/svg+xml;base64,' in page
    assert f"otpauth://totp/hana%40example.com?secret={key}&amp;issuer=Avatars" in page

    wrong = post(member, "/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "That code is not right." in wrong.content.decode()
    assert not Authenticator.objects.exists()
    response = post(
        member, "/accounts/2fa/totp/activate/", {"code": totp(key)}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/accounts/2fa/recovery-codes/"
    assert "10 of 10 left" in response.content.decode()
    assert set(Authenticator.objects.values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
    assert subjects() == ["[Avatars] Authenticator App Activated"]
    tab = member.get("/accounts/2fa/").content.decode()
    assert "Every sign-in with your password" in tab

    browser = Client()
    assert password_step(browser)["Location"] == "/accounts/2fa/authenticate/"
    assert not signed_in(browser)
    asked = browser.get("/accounts/2fa/authenticate/").content.decode()
    assert "recovery codes" in asked
    sign_in(totp(key), browser)
    assert signed_in(browser)


def test_a_code_is_accepted_once(member):
    key = set_up(member)
    sign_in(totp(key))

    again = Client()
    password_step(again)
    response = again.post("/accounts/2fa/authenticate/", {"code": totp(key)})

    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    assert not signed_in(again)


def test_wrong_codes_hit_the_attempt_limits(member, settings):
    key = set_up(member)
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    browser = Client()
    password_step(browser)
    for _ in range(3):
        wrong = browser.post("/accounts/2fa/authenticate/", {"code": "123456"})
        assert "That code is not right." in wrong.content.decode()

    response = browser.post("/accounts/2fa/authenticate/", {"code": totp(key)})

    assert "Too many failed login attempts" in response.content.decode()
    assert not signed_in(browser)


def test_confirming_access_takes_a_code_once_two_factor_is_on(photo_jpeg):
    client = Client()
    signup(client, photo_jpeg)
    EmailAddress.objects.update(verified=True)
    key = set_up(client)
    stale = sign_in(totp(key))  # a browser that never confirmed access

    asked = stale.get("/accounts/2fa/totp/deactivate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    stale.post("/accounts/2fa/reauthenticate/", {"code": "000000"})
    assert stale.get("/accounts/2fa/totp/deactivate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    stale.post("/accounts/2fa/reauthenticate/", {"code": recovery_codes(client)[0]})

    assert stale.get("/accounts/2fa/totp/deactivate/").status_code == 200


def test_removing_the_app_turns_two_factor_off_and_says_so(member):
    set_up(member)
    deliver()
    mail.outbox.clear()

    response = post(member, "/accounts/2fa/totp/deactivate/", {}, follow=True)

    page = response.content.decode()
    assert "Two-factor sign-in is off" in page
    assert "Not set up" in page
    assert not Authenticator.objects.exists()
    assert subjects() == ["[Avatars] Authenticator App Deactivated"]
    browser = Client()
    assert password_step(browser)["Location"] == "/profile/"


def test_with_two_factor_on_the_address_change_says_why_not(member):
    set_up(member)

    response = post(
        member, "/accounts/email/", {"email": "new@example.com", "action_add": ""}
    )

    assert response.status_code == 200
    assert "While two-factor sign-in is on" in response.content.decode()
    assert not EmailAddress.objects.filter(email="new@example.com").exists()


# --- Recovery codes -------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(member):
    set_up(member)
    code = recovery_codes(member)[3]

    sign_in(code)
    again = Client()
    password_step(again)
    refused = again.post("/accounts/2fa/authenticate/", {"code": code})

    assert "That code is not right." in refused.content.decode()
    assert not signed_in(again)
    assert code not in recovery_codes(member)
    assert "9 of 10 left" in member.get("/accounts/2fa/").content.decode()


def test_new_codes_void_the_old_set(member):
    set_up(member)
    old = recovery_codes(member)
    deliver()
    mail.outbox.clear()
    asked = member.get("/accounts/2fa/recovery-codes/generate/").content.decode()
    assert "The 10 you have left stop working at once." in asked

    response = post(member, "/accounts/2fa/recovery-codes/generate/", {}, follow=True)

    new = recovery_codes(member)
    assert "10 of 10 left" in response.content.decode()
    assert len(new) == 10 and not set(new) & set(old)
    assert subjects() == ["[Avatars] New Recovery Codes Generated"]
    browser = Client()
    password_step(browser)
    refused = browser.post("/accounts/2fa/authenticate/", {"code": old[0]})
    assert "That code is not right." in refused.content.decode()
    sign_in(new[0], browser)


def test_the_codes_download_as_a_text_file(member):
    set_up(member)

    response = member.get("/accounts/2fa/recovery-codes/download/")

    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == (
        'attachment; filename="recovery-codes.txt"'
    )
    assert re.findall(r"^\d{8}$", response.content.decode(), re.M) == (
        recovery_codes(member)
    )


def test_the_codes_are_for_their_owner_only(member):
    set_up(member)
    assert Client().get("/accounts/2fa/recovery-codes/download/").status_code == 302
    assert Client().get("/accounts/2fa/recovery-codes/").status_code == 302


# --- Trust this browser ---------------------------------------------------------------


def test_a_trusted_browser_skips_the_code_until_the_password_changes(member):
    key = set_up(member)
    laptop = Client()
    password_step(laptop)
    laptop.post("/accounts/2fa/authenticate/", {"code": totp(key)})
    question = laptop.get("/accounts/2fa/trust/").content.decode()
    laptop.post("/accounts/2fa/trust/", {"action": "trust"})

    laptop.post("/accounts/logout/")
    assert password_step(laptop)["Location"] == "/profile/"
    assert password_step(Client())["Location"] == "/accounts/2fa/authenticate/"
    assert "Trust it for 2\xa0weeks" in question  # timeuntil keeps it on one line
    assert "Changing your password or your two-factor settings ends" in question
    assert "14 days" in member.get("/accounts/2fa/").content.decode()

    post(
        laptop,
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a brand new secret 9",
            "password2": "a brand new secret 9",
        },
    )
    laptop.post("/accounts/logout/")
    response = password_step(laptop, "a brand new secret 9")

    assert response["Location"] == "/accounts/2fa/authenticate/"


# --- The account and the admin --------------------------------------------------------


def test_deleting_the_account_leaves_no_authenticator(member):
    set_up(member)
    assert Authenticator.objects.count() == 2

    post(member, "/accounts/delete/", {"password": PASSWORD})

    assert not User.objects.exists()
    assert not Authenticator.objects.exists()


@pytest.fixture
def staff(member) -> Client:
    User.objects.filter(username="hana").update(is_staff=True, is_superuser=True)
    return member


def test_the_admin_sends_staff_without_a_factor_to_set_one_up(staff, settings):
    settings.ADMIN_REQUIRE_MFA = True

    response = staff.get("/admin/", follow=True)

    assert response.redirect_chain == [("/accounts/2fa/", 302)]
    page = response.content.decode()
    assert "The admin asks for two-factor sign-in" in page
    assert staff.get("/admin/registration/user/").status_code == 302


def test_the_admin_admits_staff_with_a_factor(staff, settings):
    settings.ADMIN_REQUIRE_MFA = True
    set_up(staff)

    assert staff.get("/admin/").status_code == 200
    assert staff.get("/admin/registration/user/").status_code == 200


def test_without_the_requirement_the_admin_admits_staff_as_before(staff, settings):
    settings.ADMIN_REQUIRE_MFA = False

    assert staff.get("/admin/").status_code == 200
