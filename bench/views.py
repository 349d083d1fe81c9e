from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from avatars.views import STATUS_TEMPLATE


@login_required
def naive_avatar(request: HttpRequest) -> HttpResponse:
    """The tutorial's status fragment, for reference: the row as it is, rendered
    with the site's own template (so only the data access differs)."""
    profile = request.user.profile
    context = {
        "profile": profile,
        "worker_present": True,
        "first_poll": False,
        "poll_ms": settings.AVATAR_POLL_MS,
    }
    return render(request, STATUS_TEMPLATE, context)
