"""A browser named the way its owner would name it, on the sessions page."""

import pytest

from registration.useragents import describe

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"
)
OPERA_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36 OPR/115.0"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0 Mobile Safari/537.36"
)
FIREFOX_IOS = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) FxiOS/131.0 Mobile/15E148 Safari/605.1.15"
)
CHROME_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1"
)
CHROMEBOOK = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (CHROME_ANDROID, "Chrome on Android"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (OPERA_MAC, "Opera on macOS"),
        (SAMSUNG, "Samsung Internet on Android"),
        (FIREFOX_IOS, "Firefox on iPad"),
        (CHROME_IOS, "Chrome on iPhone"),
        (CHROMEBOOK, "Chrome on ChromeOS"),
        (FIREFOX_LINUX, "Firefox on Linux"),
    ],
)
def test_browser_and_system_are_named(user_agent, named):
    assert describe(user_agent) == named


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        ("curl/8.5.0", "An unknown browser"),
        ("", "An unknown browser"),
        ("SomeBot (Windows)", "Windows"),
        ("Firefox/133.0", "Firefox"),
    ],
)
def test_what_cannot_be_told_is_left_out(user_agent, named):
    assert describe(user_agent) == named
