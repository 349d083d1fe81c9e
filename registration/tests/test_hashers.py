"""The production hasher: Django's Argon2id, a bounded number at a time."""

import threading

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    check_password,
    make_password,
)

from registration import hashers
from registration.hashers import BoundedArgon2PasswordHasher

BOUNDED = ["registration.hashers.BoundedArgon2PasswordHasher"]


def test_its_hashes_are_djangos_argon2_hashes_both_ways(settings):
    settings.PASSWORD_HASHERS = BOUNDED
    ours = make_password("correct horse battery")

    assert ours.startswith("argon2$argon2id$")
    assert Argon2PasswordHasher().verify("correct horse battery", ours)
    assert check_password("correct horse battery", ours)
    assert not check_password("correct horse", ours)
    djangos = Argon2PasswordHasher().encode("s3cret", Argon2PasswordHasher().salt())
    assert check_password("s3cret", djangos)


@pytest.mark.parametrize("method", ["encode", "verify"])
def test_no_more_than_the_allowed_hashes_run_at_once(settings, monkeypatch, method):
    allowed = settings.PASSWORD_HASHES_AT_ONCE
    inside, most = [0], [0]
    counted = threading.Lock()
    entered = threading.Semaphore(0)
    go_on = threading.Event()

    def slow_hash(self, *args):
        with counted:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        entered.release()
        assert go_on.wait(timeout=30)
        with counted:
            inside[0] -= 1
        return "argon2$done" if method == "encode" else True

    monkeypatch.setattr(Argon2PasswordHasher, method, slow_hash)
    hasher = BoundedArgon2PasswordHasher()
    threads = [
        threading.Thread(target=getattr(hasher, method), args=("pw", "salt"))
        for _ in range(allowed + 2)
    ]
    for thread in threads:
        thread.start()
    for _ in range(allowed):
        assert entered.acquire(timeout=30)

    # Every place is taken: the others wait for one.
    assert not hashers._hashing.acquire(blocking=False)
    assert inside[0] == allowed
    go_on.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert most[0] == allowed


def test_a_hash_that_fails_gives_its_place_back(settings, monkeypatch):
    def broken(self, *args):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Argon2PasswordHasher, "encode", broken)
    hasher = BoundedArgon2PasswordHasher()
    for _ in range(settings.PASSWORD_HASHES_AT_ONCE + 1):
        with pytest.raises(RuntimeError):
            hasher.encode("pw", "salt")

    assert hashers._hashing.acquire(blocking=False)
    hashers._hashing.release()
