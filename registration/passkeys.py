"""Security keys and passkeys on allauth.mfa's WebAuthn: what a key is (a
passkey that signs in alone, or a second factor only), the refusal of any
other key at "Sign in with a passkey", and what the pages say at an address
where WebAuthn cannot work.

Whether a key is a passkey is the person's choice when they add it, stored in
the place allauth reads it from (the credential's credProps "rk"). Browsers
report credProps or not as they like (Chromium does not), and allauth takes a
key without it as "unspecified" and lets it sign in alone (#4224): here only
a key explicitly added as a passkey does.
"""

import ipaddress
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.forms import AddWebAuthnForm, LoginWebAuthnForm
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.request import split_domain_port

NAME_MAX_LENGTH = 40


def is_passkey(authenticator: Authenticator) -> bool:
    return authenticator.wrap().is_passwordless is True


def _refuse_unless_a_json_object(value: Any) -> None:
    # allauth's parsers expect an object; a list or a string would raise
    # something they do not catch.
    if not isinstance(value, dict):
        raise get_adapter().validation_error("incorrect_code")


class AddKeyForm(AddWebAuthnForm):
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=NAME_MAX_LENGTH,
        help_text="So you can tell your keys apart: “YubiKey”, “Phone”.",
    )
    passwordless = forms.BooleanField(
        label="Use it as a passkey: it signs me in on its own, with no password",
        required=False,
        help_text="The key asks for your fingerprint, face or PIN each time. "
        "Leave this off for a key that only confirms sign-ins after your "
        "password.",
    )

    def clean_credential(self) -> Any:
        credential = self.cleaned_data["credential"]
        _refuse_unless_a_json_object(credential)
        return credential

    def clean(self) -> dict[str, Any]:
        cleaned_data: dict[str, Any] = super().clean()
        credential = cleaned_data.get("credential")
        if isinstance(credential, dict) and not self.errors:
            results = credential.get("clientExtensionResults")
            if not isinstance(results, dict):
                results = credential["clientExtensionResults"] = {}
            results["credProps"] = {"rk": bool(cleaned_data.get("passwordless"))}
        return cleaned_data


class PasskeyLoginForm(LoginWebAuthnForm):
    def clean_credential(self) -> Authenticator:
        _refuse_unless_a_json_object(self.cleaned_data["credential"])
        try:
            authenticator: Authenticator = super().clean_credential()
        except ValidationError as error:
            if error.code == "incorrect_code":
                raise get_adapter().validation_error("unknown_key") from error
            raise
        if not is_passkey(authenticator):
            raise get_adapter().validation_error("not_a_passkey")
        return authenticator


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def passkey_context(request: HttpRequest) -> dict[str, Any]:
    """At an IP address (browsers refuse WebAuthn there), say so instead of
    showing dead buttons, with this page at localhost when that is the host."""
    host, port = split_domain_port(request.get_host())
    if not is_ip_address(host):
        return {}
    here = ""
    if ipaddress.ip_address(host.strip("[]")).is_loopback:
        here = f"http://localhost{':' + port if port else ''}{request.path}"
    return {"passkeys_at_ip_address": True, "passkeys_at_localhost": here}
