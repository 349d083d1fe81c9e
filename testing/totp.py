"""Authenticator-app codes in tests: computed from the key a page shows, on a
clock the test holds still so that a code never expires between two steps."""

import base64
import hashlib
import hmac
import struct
from types import SimpleNamespace

import pytest

# The start of a 30-second step.
NOW = 1_760_000_010.0


def code(key: str, at: float = NOW) -> str:
    """RFC 6238 with an authenticator app's defaults (SHA-1, 30 s, 6 digits)."""
    counter = struct.pack(">Q", int(at // 30))
    digest = hmac.new(base64.b32decode(key), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def hold_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """allauth's TOTP checks read NOW (the live server's thread too)."""
    from allauth.mfa.totp.internal import auth

    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: NOW))
