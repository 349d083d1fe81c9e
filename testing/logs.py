"""Log lines as an operator reads them, for tests: through the site's filter
and formatters (config.logs), one JSON object a line, parsed."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from config import logs


@contextmanager
def json_lines(level: int = logging.INFO) -> Iterator[list[dict[str, Any]]]:
    """Every record logged in the block, as the JSON format writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, level))
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        lines.extend(parse(stream.getvalue()))


def parse(text: str) -> list[dict[str, Any]]:
    """Each line of `text` as a JSON object (a line that is not one fails)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
