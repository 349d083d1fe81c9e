"""The comparison server of section 1: the benchmark's settings with Django's
PBKDF2 hasher first, as the site hashed passwords before Argon2id."""

from bench.settings import *  # noqa: F403
from bench.settings import PASSWORD_HASHERS

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    *(h for h in PASSWORD_HASHERS if not h.endswith(".PBKDF2PasswordHasher")),
]
