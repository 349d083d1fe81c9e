"""A body shorter than the request declared is an error, never a whole form."""

import io

import pytest
from django.core.exceptions import BadRequest

from config.wsgi import WholeBody, whole_bodies


def test_a_body_that_ends_early_is_a_bad_request():
    body = WholeBody(io.BytesIO(b"abc"), declared=10)

    assert body.read(3) == b"abc"
    with pytest.raises(BadRequest, match="ended early"):
        body.read(7)


def test_a_line_read_past_the_end_is_a_bad_request_too():
    body = WholeBody(io.BytesIO(b"one\n"), declared=20)

    assert body.readline() == b"one\n"
    with pytest.raises(BadRequest):
        body.readline()


def test_a_whole_body_reads_to_its_end_and_then_empty():
    body = WholeBody(io.BytesIO(b"abc"), declared=3)

    assert body.read() == b"abc"
    assert body.read() == b""
    assert body.read(0) == b""


@pytest.mark.parametrize(
    ("length", "wrapped"), [("12", True), ("0", False), ("", False), ("x", False)]
)
def test_only_a_request_declaring_a_body_is_watched(length, wrapped):
    seen = {}

    def app(environ, start_response):
        seen["input"] = environ["wsgi.input"]
        return [b""]

    original = io.BytesIO(b"")
    whole_bodies(app)({"CONTENT_LENGTH": length, "wsgi.input": original}, None)

    assert isinstance(seen["input"], WholeBody) is wrapped
    assert (seen["input"] is original) is not wrapped
