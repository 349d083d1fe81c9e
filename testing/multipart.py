"""A form as a browser posts it (multipart/form-data), for the clients that
send their own bytes: slowly, in pieces, or cut short."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    data: bytes


def encode(fields: Iterable[tuple[str, str | File]]) -> tuple[bytes, str]:
    """The body, with the fields in the order given (a server reads them in
    that order), and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        if isinstance(value, File):
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{value.filename}"\r\nContent-Type: {value.content_type}'
                "\r\n\r\n"
            )
            parts.append(head.encode() + value.data + b"\r\n")
        else:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                f"\r\n\r\n{value}\r\n".encode()
            )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def sign_up_form(
    username: str, token: str, photo: File, photo_first: bool = False
) -> tuple[bytes, str]:
    """The sign-up form with its CSRF token. With the photo first, a client
    that goes away mid-photo leaves a form with no username: no account."""
    account = [
        ("username", username),
        ("email", f"{username}@example.com"),
        ("password1", "correct horse battery"),
    ]
    image: list[tuple[str, str | File]] = [("image", photo)]
    rest = [*image, *account] if photo_first else [*account, *image]
    return encode([("csrfmiddlewaretoken", token), *rest])
