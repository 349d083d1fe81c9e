"""Driving the site through Django's test client, as the views' tests do."""

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def post(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """POST, running on-commit callbacks (the enqueue) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, **extra)


def signup(
    client: Client, photo: bytes | None = None, htmx: bool = True, **fields: Any
) -> Any:
    data: dict[str, Any] = {
        "username": "hana",
        "email": "hana@example.com",
        "password1": "correct horse battery",
        **fields,
    }
    if photo is not None:
        data["image"] = SimpleUploadedFile("IMG_1234.JPG", photo, "image/jpeg")
    return post(client, reverse("register"), data, **(HTMX if htmx else {}))


def avatar_element(html: str) -> str:
    match = re.search(r'<div id="avatar".*?>', html, re.S)
    assert match, html
    return match.group(0)


def queued_resizes() -> list[Any]:
    """The photo tasks in the queue (a sign-up also queues its e-mail)."""
    from huey.contrib.djhuey import HUEY

    return [task for task in HUEY.pending() if task.name == "resize_avatar"]
