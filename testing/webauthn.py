"""A software security key, for tests and the benchmark that post WebAuthn
ceremonies without a browser: it answers the options the site hands out with
the JSON the browser's webauthn-json would post ("none" attestation, ES256,
user present and verified), built with fido2's own data classes."""

import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
)

FLAGS = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.UV


class SoftKey:
    def __init__(self, origin: str = "http://localhost") -> None:
        self.origin = origin
        self.rp_id = origin.split("://", 1)[1].split(":", 1)[0]
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle = b""
        self.counter = 0

    def _client_data(self, kind: str, options: dict[str, Any]) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": options["publicKey"]["challenge"],
                "origin": self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _rp_id_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def create(self, creation_options: dict[str, Any]) -> dict[str, Any]:
        """What navigator.credentials.create() gives, for the options in the
        add page's js_data ("creation_options")."""
        self.user_handle = websafe_decode(creation_options["publicKey"]["user"]["id"])
        credential_data = AttestedCredentialData.create(
            Aaguid.NONE,
            self.credential_id,
            ES256.from_cryptography_key(self.private_key.public_key()),  # type: ignore[no-untyped-call]
        )
        auth_data = AuthenticatorData.create(
            self._rp_id_hash(),
            FLAGS | AuthenticatorData.FLAG.AT,
            self.counter,
            bytes(credential_data),
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "type": "public-key",
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "response": {
                "clientDataJSON": websafe_encode(
                    self._client_data("webauthn.create", creation_options)
                ),
                "attestationObject": websafe_encode(bytes(attestation)),
            },
            "clientExtensionResults": {},
        }

    def get(self, request_options: dict[str, Any]) -> dict[str, Any]:
        """What navigator.credentials.get() gives: a signed assertion with the
        user handle, as a discoverable credential answers."""
        self.counter += 1
        client_data = self._client_data("webauthn.get", request_options)
        auth_data = bytes(
            AuthenticatorData.create(self._rp_id_hash(), FLAGS, self.counter)
        )
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(),
            ec.ECDSA(hashes.SHA256()),
        )
        return {
            "type": "public-key",
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature),
                "userHandle": websafe_encode(self.user_handle),
            },
            "clientExtensionResults": {},
        }
