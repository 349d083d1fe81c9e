from typing import Any

from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Django checks a password's least length, not its greatest: every other
    free-text field here has one. Long enough for any password manager."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                "This password is too long: it can have at most %(max)d characters.",
                code="password_too_long",
                params={"max": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can have at most {self.max_length} characters."
