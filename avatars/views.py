from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve
from django_htmx.http import HttpResponseStopPolling

from avatars import initials as initials_module
from avatars import recovery, state
from config.http import MemberRequest
from registration.models import AvatarState, Profile

STATUS_TEMPLATE = "avatars/status.html"


def status_context(profile: Profile, first_poll: bool = False) -> dict[str, Any]:
    """What the status fragment needs, on the profile page and in each poll."""
    return {
        "profile": profile,
        "worker_present": (
            profile.avatar_state != AvatarState.QUEUED
            or recovery.any_worker_alive_recently()
        ),
        "first_poll": first_poll,
        "first_poll_ms": settings.AVATAR_FIRST_POLL_MS,
        "poll_ms": poll_interval_ms(profile),
    }


def poll_interval_ms(profile: Profile) -> int:
    """Fast while the photo is most likely to turn ready, then steady."""
    queued_at = profile.avatar_queued_at
    if queued_at and timezone.now() - queued_at < settings.AVATAR_FAST_POLL_FOR:
        return int(settings.AVATAR_FAST_POLL_MS)
    return int(settings.AVATAR_POLL_MS)


@login_required
@require_GET
def avatar_status(request: MemberRequest) -> HttpResponse:
    profile = state.refresh(request.user.profile)
    context = status_context(profile)
    # The last poll's answer also changes the top bar's avatar (out of band).
    context["header_oob"] = bool(request.htmx) and not profile.avatar_pending
    response = render(request, STATUS_TEMPLATE, context)
    if request.htmx and not profile.avatar_pending:
        # The fragment carries no trigger any more; 286 also tells htmx 2 to stop.
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_POST
def retry_avatar(request: MemberRequest) -> HttpResponse:
    """ "Try again": queue the same photo again after a failure."""
    profile = request.user.profile
    with transaction.atomic():
        state.retry(profile)
    if not request.htmx:
        return redirect("profile")
    return render(request, STATUS_TEMPLATE, status_context(profile, first_poll=True))


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
def remove_avatar(request: MemberRequest) -> HttpResponse:
    """ "Remove photo": back to the person's initials at once."""
    profile = request.user.profile
    state.remove_photo(profile)
    if not request.htmx:
        return redirect("profile")
    return render(
        request, STATUS_TEMPLATE, {**status_context(profile), "header_oob": True}
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
