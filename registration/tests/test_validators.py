"""Passwords have a greatest length, as every other free-text field here does."""

import pytest
from django.core.exceptions import ValidationError

from registration.validators import MaximumLengthValidator


def test_up_to_the_limit_is_accepted_one_more_is_not():
    validator = MaximumLengthValidator()
    validator.validate("x" * 256)

    with pytest.raises(ValidationError) as refused:
        validator.validate("x" * 257)

    assert refused.value.code == "password_too_long"
    assert refused.value.messages == [
        "This password is too long: it can have at most 256 characters."
    ]


def test_the_limit_can_be_set_and_the_help_text_says_it():
    validator = MaximumLengthValidator(max_length=8)
    validator.validate("12345678")
    with pytest.raises(ValidationError):
        validator.validate("123456789")
    assert validator.get_help_text() == "Your password can have at most 8 characters."
