"""The photo pipeline's settings: a default for each, any one overridden alone."""

import pytest
from django.test import override_settings

from avatars.conf import Defaults, conf

NAMES = [name for name in vars(Defaults) if name.isupper()]


def test_every_setting_has_its_default_unless_the_test_settings_set_it(settings):
    for name in NAMES:
        expected = getattr(settings, f"AVATAR_{name}", getattr(Defaults, name))
        assert getattr(conf, name) == expected, name
    assert conf.MAX_UPLOAD_BYTES == 20 * 1024 * 1024  # not set for the tests
    assert conf.RETRIES == 3


@pytest.mark.parametrize("name", NAMES)
def test_overriding_one_name_changes_that_one_alone(name):
    before = {other: getattr(conf, other) for other in NAMES}

    with override_settings(**{f"AVATAR_{name}": 12345}):
        assert getattr(conf, name) == 12345
        for other in NAMES:
            if other != name:
                assert getattr(conf, other) == before[other], other

    assert getattr(conf, name) == before[name]


def test_settings_are_read_when_used_not_at_import(settings):
    settings.AVATAR_NO_WORKER_POLL_MS = 999
    assert conf.NO_WORKER_POLL_MS == 999
    del settings.AVATAR_NO_WORKER_POLL_MS
    assert conf.NO_WORKER_POLL_MS == Defaults.NO_WORKER_POLL_MS


def test_an_unknown_name_is_an_error_not_a_silent_none(settings):
    settings.AVATAR_NO_SUCH_THING = 1  # a Django setting alone does not make one

    with pytest.raises(AttributeError):
        conf.NO_SUCH_THING  # noqa: B018
    with pytest.raises(AttributeError):
        conf.max_upload_bytes  # noqa: B018
