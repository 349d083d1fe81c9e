"""The requests our views receive, as the type checker should see them."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from registration.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class MemberRequest(HtmxHttpRequest):
    """A request behind @login_required."""

    user: User
