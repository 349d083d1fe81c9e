from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve
from django_htmx.http import HttpResponseStopPolling

from avatars import initials as initials_module
from avatars import pacing, state
from avatars.models import Avatar
from config.http import HtmxHttpRequest

STATUS_TEMPLATE = "avatars/status.html"


def own_avatar(request: HttpRequest) -> Avatar:
    """The signed-in person's avatar, loaded with them (no query of its own)."""
    user = request.user
    if not user.is_authenticated:  # behind @login_required
        raise Http404("not signed in")
    return user.avatar


def status_context(
    avatar: Avatar, previous: pacing.Previous | None = None
) -> dict[str, Any]:
    """What the status fragment needs, on the profile page and in each poll."""
    poll = pacing.next_poll(avatar, previous)
    return {
        "avatar": avatar,
        "poll": poll,
        "worker_present": poll is None or poll.worker_alive,
    }


@login_required
@require_GET
def avatar_status(request: HtmxHttpRequest) -> HttpResponse:
    avatar = state.refresh(own_avatar(request))
    context = status_context(avatar, pacing.previous_poll(request.GET))
    # The last poll's answer also changes the top bar's avatar (out of band).
    context["header_oob"] = bool(request.htmx) and not avatar.pending
    # The announcement changes only when the state it speaks of does: a poll
    # that finds the photo still queued says nothing new.
    context["announce"] = bool(request.htmx) and request.GET.get("said") != avatar.state
    response = render(request, STATUS_TEMPLATE, context)
    if request.htmx and not avatar.pending:
        # The fragment carries no trigger any more; 286 also tells htmx 2 to stop.
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_POST
def retry_avatar(request: HtmxHttpRequest) -> HttpResponse:
    """ "Try again": queue the same photo again after a failure."""
    avatar = own_avatar(request)
    with transaction.atomic():
        state.retry(avatar)
    if not request.htmx:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request, STATUS_TEMPLATE, {**status_context(avatar), "announce": True}
    )


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve thumbnails from MEDIA_ROOT (whitenoise serves static files only).

    Thumbnail names are random and never reused, so browsers may keep them.
    """
    try:
        response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    except SuspiciousFileOperation:
        # A path that climbs out of MEDIA_ROOT is a guess: it does not exist.
        raise Http404(path) from None
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def remove_avatar(request: HtmxHttpRequest) -> HttpResponse:
    """ "Remove photo": back to the person's initials at once."""
    avatar = own_avatar(request)
    state.remove_photo(avatar)
    if not request.htmx:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        STATUS_TEMPLATE,
        {**status_context(avatar), "header_oob": True, "announce": True},
    )


@require_GET
def initials_avatar(request: HttpRequest, colour: int, initials: str) -> HttpResponse:
    """The default avatar. The same URL is always the same picture."""
    if colour >= len(initials_module.PALETTE):
        raise Http404("no such colour")
    response = HttpResponse(
        initials_module.svg(initials, colour), content_type="image/svg+xml"
    )
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
