import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class WholeBody:
    """The request body, which ends in an error rather than early.

    A client that goes away mid-upload leaves a body shorter than it declared;
    Django would parse what came as the whole form (a sign-up with its fields
    and no photo, say). Here the missing bytes are a 400 Bad Request instead.
    """

    def __init__(self, stream: Any, declared: int) -> None:
        self.stream = stream
        self.left = declared

    def _got(self, data: bytes, size: int | None) -> bytes:
        self.left -= len(data)
        if not data and self.left > 0 and size != 0:
            raise BadRequest("The request body ended early: the client went away.")
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._got(self.stream.read(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._got(self.stream.readline(size), size)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def whole_bodies(app: WSGIApp) -> WSGIApp:
    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared:
            environ["wsgi.input"] = WholeBody(environ["wsgi.input"], declared)
        return app(environ, start_response)

    return application


application = whole_bodies(get_wsgi_application())

# Uploads spooled by a web process that was killed mid-request stay on disk; the
# web processes share this folder with no one (a platform's worker has its own).
from avatars.cleanup import remove_stale_uploads  # noqa: E402

remove_stale_uploads(Path(settings.FILE_UPLOAD_TEMP_DIR))
