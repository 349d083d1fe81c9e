"""Members with data of every kind, and the others an archive must leave out."""

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from avatars.models import Avatar
from moderation.models import Action, AuditEntry, Reason, Report
from registration.models import Profile, User, Visibility
from testing.thumbnails import write_thumbnails

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def member(username: str, **profile: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    if profile:
        Profile.objects.filter(pk=user.pk).update(**profile)
    return user


def signed_in(user: User) -> Client:
    """Signed in, and with access confirmed a moment ago."""
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def ready_photo(user: User) -> str:
    stem = write_thumbnails()
    Avatar.objects.filter(pk=user.pk).update(state="ready", thumbnails=stem)
    return stem


@dataclass
class Cast:
    nora: User  # the one whose archive it is
    norah: User  # a similar name
    rita: User  # reported nora
    mod: User  # acted on nora
    paul: User  # reported by nora


@pytest.fixture
def cast() -> Cast:
    nora = member(
        "nora", bio="I paint foxes.", location="Lyon", visibility=Visibility.EVERYONE
    )
    EmailAddress.objects.create(user=nora, email="nora.old@example.org")
    ready_photo(nora)
    now = timezone.now()
    UserSession.objects.create(
        user=nora,
        ip="203.0.113.7",
        session_key="nora-laptop",
        user_agent=FIREFOX,
        created_at=now - timedelta(days=2),
        last_seen_at=now,
        data={},
    )
    Authenticator.objects.create(
        user=nora, type=Authenticator.Type.TOTP, data={"secret": "NORASTOTPSECRET"}
    )
    Authenticator.objects.create(
        user=nora,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Blue key", "credential": {"secret": "NORASKEYSECRET"}},
    )
    norah = member("norah", bio="Norah's own bio", location="Nantes")
    ready_photo(norah)
    UserSession.objects.create(
        user=norah,
        ip="198.51.100.9",
        session_key="norah-phone",
        user_agent=FIREFOX,
        created_at=now,
        last_seen_at=now,
        data={},
    )
    rita, mod, paul = member("rita"), member("moddy"), member("paul")
    Report.objects.create(
        reporter=nora, person=paul, reason=Reason.SPAM, note="Sells watches"
    )
    Report.objects.create(
        reporter=rita,
        person=nora,
        reason=Reason.IMPERSONATION,
        note="rita thinks nora is fake",
        closed_at=now,
    )
    AuditEntry.objects.create(
        moderator=mod,
        moderator_username=mod.username,
        person=nora,
        person_username=nora.username,
        action=Action.CLEAR_TEXT,
        reason="Your bio linked to a shop",
    )
    AuditEntry.objects.create(
        moderator=mod,
        moderator_username=mod.username,
        person=norah,
        person_username=norah.username,
        action=Action.SUSPEND,
        reason="norah's own moderation",
    )
    return Cast(nora, norah, rita, mod, paul)


def pending_original(user: User, data: bytes) -> str:
    """A photo still waiting for the worker: its original is kept."""
    avatar = Avatar.objects.get(pk=user.pk)
    avatar.image.save("x", ContentFile(data), save=False)
    Avatar.objects.filter(pk=user.pk).update(
        state="queued", image=avatar.image.name, thumbnails=""
    )
    return avatar.image.name


def open_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}
