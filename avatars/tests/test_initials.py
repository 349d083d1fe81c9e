"""The default avatar: initials on a colour of the person's own, as SVG."""

import re
import xml.etree.ElementTree as ET

import pytest

from avatars import initials


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("anna.berg", "AB"),
        ("paula", "P"),
        ("j_r_r_tolkien", "JR"),
        ("--x--y", "XY"),
        ("7of9", "7"),
        ("...", ""),
    ],
)
def test_initials_come_from_the_first_two_parts_of_the_handle(username, expected):
    assert initials.initials_of(username) == expected


def test_the_colour_is_the_persons_own_in_any_case_and_spread_out():
    assert initials.colour_of("Anna") == initials.colour_of("anna")
    colours = {initials.colour_of(f"user{n}") for n in range(200)}
    assert colours == set(range(len(initials.PALETTE)))


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", initials.PALETTE)
def test_white_initials_are_readable_on_every_colour(colour):
    contrast = 1.05 / (relative_luminance(colour) + 0.05)
    assert contrast >= 4.5, colour


def test_the_svg_is_a_square_with_the_initials_and_nothing_else():
    svg = initials.svg("AB", 3)

    root = ET.fromstring(svg)
    assert root.get("width") == root.get("height") == "100"
    assert [element.tag.split("}")[1] for element in root] == ["rect", "text"]
    assert root[0].get("fill") == initials.PALETTE[3]
    assert root[1].text == "AB"
    assert not re.search(r"<script|href|on\w+=", svg)
