"""The default avatar: a person's initials on a colour of their own, as SVG.

Made here, so no page asks a third party for it (as a hash of the e-mail sent
to Gravatar would), and cacheable: the URL names the initials and the colour,
so the many people who share both share one file.
"""

import hashlib
import re

# White text on each has a contrast ratio of at least 4.5:1 (WCAG AA).
PALETTE = (
    "#1f6f8b",
    "#3454d1",
    "#5b3cc4",
    "#8e2f9e",
    "#b42318",
    "#a6410a",
    "#806000",
    "#3b7a16",
    "#027a48",
    "#0f6e6e",
    "#475467",
    "#9e1f63",
)
_PARTS = re.compile(r"[._-]+")


def initials_of(username: str) -> str:
    """'anna.berg' → 'AB', 'paula' → 'P': the first character of the first two
    parts of the handle (usernames are ASCII letters, digits, '.', '_' and '-';
    one of nothing but dots has none)."""
    parts = [part for part in _PARTS.split(username) if part]
    return "".join(part[0] for part in parts[:2]).upper()


def colour_of(username: str) -> int:
    """An index into PALETTE, the same for a username in any case."""
    digest = hashlib.sha256(username.casefold().encode()).digest()
    return digest[0] % len(PALETTE)


def svg(initials: str, colour: int) -> str:
    """A square of the colour with the initials in white, centred; it scales."""
    size = 38 if len(initials) == 1 else 34
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" '
        'viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="{PALETTE[colour]}"/>'
        '<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" '
        f'font-size="{size}" font-weight="600">{initials}</text></svg>'
    )
