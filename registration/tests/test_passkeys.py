"""Security keys and passkeys over HTTP, with a software key answering the
site's WebAuthn options: a passkey signs in alone, a second-factor key only
after the password, removing keys says whether two-factor stays on, bad
payloads are refused without a 500, and at an IP address the pages say to
use the site's name."""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from registration.models import User
from registration.tests.test_mfa import (
    PASSWORD,
    confirm_access,
    password_step,
    set_up,
    signed_in,
    subjects,
)
from testing.client import post, signup
from testing.totp import hold_clock
from testing.webauthn import SoftKey

pytestmark = pytest.mark.django_db

ADD = "/accounts/2fa/webauthn/add/"
LOGIN = "/accounts/2fa/webauthn/login/"


@pytest.fixture
def member(photo_jpeg) -> Client:
    """hana, signed up at http://localhost (WebAuthn's rule), address confirmed."""
    client = Client(HTTP_HOST="localhost")
    signup(client, photo_jpeg)
    EmailAddress.objects.filter(email="hana@example.com").update(verified=True)
    return client


def as_json(data: object) -> dict:
    """Options as the page's script reads them (json_script, JsonResponse)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def add_key(client: Client, passkey: bool, name: str = "Phone") -> SoftKey:
    confirm_access(client)
    options = as_json(client.get(ADD).context["js_data"])["creation_options"]
    key = SoftKey()
    data = {"name": name, "credential": json.dumps(key.create(options))}
    if passkey:
        data["passwordless"] = "on"
    response = post(client, ADD, data)
    assert response.status_code == 302, response.content.decode()
    return key


def passkey_sign_in(key: SoftKey, client: Client | None = None):
    """ "Sign in with a passkey": the options fetched as the script does, the
    key's answer posted; no username, no password."""
    client = client or Client(HTTP_HOST="localhost")
    options = client.get(LOGIN, HTTP_ACCEPT="application/json").json()
    response = client.post(
        LOGIN, {"credential": json.dumps(key.get(options["request_options"]))}
    )
    return client, response


def test_a_passkey_signs_in_alone(member):
    key = add_key(member, passkey=True, name="YubiKey 5C")

    page = member.get("/accounts/2fa/").content.decode()
    assert "YubiKey 5C" in page
    assert ">Passkey<" in page
    assert "not used yet" in page
    assert subjects()[-1] == "[Avatars] Security Key Added"

    client, response = passkey_sign_in(key)
    assert response["Location"] == "/profile/"
    assert signed_in(client)
    assert "last used" in member.get("/accounts/2fa/").content.decode()


def test_a_second_factor_key_confirms_a_password_sign_in(member):
    key = add_key(member, passkey=False)
    assert ">Second factor<" in member.get("/accounts/2fa/").content.decode()

    client = Client(HTTP_HOST="localhost")
    response = client.post("/accounts/login/", {"login": "hana", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    page = client.get("/accounts/2fa/authenticate/")
    assert "Use a security key" in page.content.decode()
    options = as_json(page.context["js_data"])["request_options"]
    response = client.post(
        "/accounts/2fa/authenticate/", {"credential": json.dumps(key.get(options))}
    )
    assert response["Location"] == "/accounts/2fa/trust/"


@pytest.mark.parametrize("stored", ["second factor", "unspecified"])
def test_a_key_not_added_as_a_passkey_never_signs_in_alone(member, stored):
    key = add_key(member, passkey=False)
    if stored == "unspecified":
        # What allauth stores when the browser reports no credProps (Chromium).
        authenticator = Authenticator.objects.get(type=Authenticator.Type.WEBAUTHN)
        del authenticator.data["credential"]["clientExtensionResults"]["credProps"]
        authenticator.save()

    client, response = passkey_sign_in(key)

    assert response["Location"] == "/accounts/login/"
    assert not signed_in(client)
    page = client.get("/accounts/login/").content.decode()
    assert "added as a second factor only" in page


def test_a_passkey_the_server_never_saw_is_refused(member):
    client, response = passkey_sign_in(SoftKey())
    assert not signed_in(client)
    assert "not on any account here" in client.get("/accounts/login/").content.decode()


def test_removing_a_key_says_whether_two_factor_stays_on(member, monkeypatch):
    hold_clock(monkeypatch)
    set_up(member)
    key = add_key(member, passkey=True)
    pk = Authenticator.objects.get(type=Authenticator.Type.WEBAUTHN).pk
    remove = f"/accounts/2fa/webauthn/keys/{pk}/remove/"

    assert "stays on" in member.get(remove).content.decode()
    response = post(member, remove, {}, follow=True)
    page = response.content.decode()
    assert "Security key removed." in page
    assert "Two-factor sign-in is off" not in page
    assert subjects()[-1] == "[Avatars] Security Key Removed"
    _, response = passkey_sign_in(key)
    assert response["Location"] == "/accounts/login/"

    # The app is now the last factor, and its page says what removing it does.
    page = member.get("/accounts/2fa/totp/deactivate/").content.decode()
    assert "This turns two-factor sign-in off" in page


def test_removing_the_last_key_turns_two_factor_off_and_says_so(member):
    add_key(member, passkey=True)
    pk = Authenticator.objects.get(type=Authenticator.Type.WEBAUTHN).pk
    remove = f"/accounts/2fa/webauthn/keys/{pk}/remove/"

    assert "It is your last factor" in member.get(remove).content.decode()
    page = post(member, remove, {}, follow=True).content.decode()

    assert "Two-factor sign-in is off" in page
    assert not Authenticator.objects.exists()
    assert password_step(Client())["Location"] == "/profile/"


def test_a_key_name_has_a_length_limit(member):
    confirm_access(member)
    options = as_json(member.get(ADD).context["js_data"])["creation_options"]
    credential = json.dumps(SoftKey().create(options))

    response = post(member, ADD, {"name": "K" * 41, "credential": credential})

    assert response.status_code == 200
    assert "at most 40 characters" in response.content.decode()
    assert not Authenticator.objects.exists()


@pytest.mark.parametrize(
    "credential", ["[]", '"key"', "{}", '{"response": 1}', "not json", ""]
)
def test_a_bad_credential_is_refused_without_a_500(member, credential):
    confirm_access(member)
    member.get(ADD)
    response = post(member, ADD, {"name": "Phone", "credential": credential})
    assert response.status_code == 200
    assert not Authenticator.objects.exists()

    client = Client(HTTP_HOST="localhost")
    client.get(LOGIN, HTTP_ACCEPT="application/json")
    response = client.post(LOGIN, {"credential": credential})
    assert response["Location"] == "/accounts/login/"
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("host", "here"),
    [
        ("127.0.0.1:8000", "http://localhost:8000/accounts/login/"),
        ("[::1]", "http://localhost/accounts/login/"),
    ],
)
def test_at_an_ip_address_the_passkey_controls_say_to_use_the_name(host, here):
    page = Client(HTTP_HOST=host).get("/accounts/login/").content.decode()
    assert "Passkeys and security keys need the site's name" in page
    assert f'open <a href="{here}"' in page
    assert "Sign in with a passkey" not in page


def test_at_localhost_the_login_page_offers_a_passkey():
    page = Client(HTTP_HOST="localhost:8000").get("/accounts/login/").content.decode()
    assert "Sign in with a passkey" in page
    assert "need the site's name" not in page
    assert "need JavaScript" in page  # in <noscript>


def test_at_an_ip_address_the_tab_offers_no_key_to_add(member):
    member.defaults["HTTP_HOST"] = "127.0.0.1"
    page = member.get("/accounts/2fa/").content.decode()
    assert "need the site's name" in page
    assert "Add a key or passkey" not in page


def test_deleting_the_account_removes_its_keys(member):
    add_key(member, passkey=True)
    assert Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).exists()

    post(member, "/accounts/delete/", {"password": PASSWORD})

    assert not User.objects.exists()
    assert not Authenticator.objects.exists()
