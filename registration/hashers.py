import threading

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_hashing = threading.BoundedSemaphore(settings.PASSWORD_HASHES_AT_ONCE)


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher, at most PASSWORD_HASHES_AT_ONCE at a time in
    this process: each takes about 100 MB while it runs, and a web process has
    more threads than the memory for that many hashes."""

    algorithm = "argon2"  # the same stored hashes as Django's own hasher

    def encode(self, password: str, salt: str) -> str:
        with _hashing:
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with _hashing:
            return super().verify(password, encoded)
