"""Every request gets an id: in its log lines, its response and its tasks.

The id is the client's (or the proxy's) X-Request-ID when that is a short token,
else a new one. It is bound to the log context for the request's duration
(config.logs), returned as the X-Request-ID header, and left in the WSGI environ
with the user's id for the access log (config.accesslog), which is written
after the request's context is gone.
"""

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from config import logs

HEADER = "X-Request-ID"
# Letters, digits and -_. only: nothing that could forge a log line or field.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    if ACCEPTED.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def known_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id once the request has loaded the user; never
    loads it (a session and a user query a log line must not cost)."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        user = getattr(user, "_wrapped", empty)
        if user is empty:
            return None
    if user is None or not user.is_authenticated:
        return None
    pk: int | None = user.pk
    return pk


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every other one logs with the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_of(request)
        with logs.bound(request_id=request_id, user=lambda: known_user_id(request)):
            response = self.get_response(request)
        response[HEADER] = request_id
        request.META[logs.ENVIRON_REQUEST_ID] = request_id
        request.META[logs.ENVIRON_USER_ID] = known_user_id(request)
        return response
