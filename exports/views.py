import uuid
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from avatars import pacing
from config.http import HtmxHttpRequest
from exports import state
from exports.models import Export, State, Step
from exports.tasks import archives
from registration.adapter import public
from registration.models import User

PAGE_TEMPLATE = "exports/export.html"
STATUS_TEMPLATE = "exports/status.html"
# A presigned link to an archive on object storage works this long: enough to
# start the download it was made for, too short to pass around.
LINK_SECONDS = 60
STEPS = list(Step)


class MemberRequest(HtmxHttpRequest):
    user: User


def status_context(user: User) -> dict[str, Any]:
    """What the #export fragment shows: the latest export and its polling."""
    export = state.latest(user)
    context: dict[str, Any] = {
        "export": export,
        "poll": None,
        "worker_present": True,
        "said": f"{export.state}:{export.step}" if export else "",
    }
    if export is not None and export.in_preparation:
        poll = pacing.poll_for_work(export.started_at or export.requested_at)
        context.update(poll=poll, worker_present=poll.worker_alive)
        if export.step:
            context["step_number"] = STEPS.index(Step(export.step)) + 1
            context["steps"] = len(STEPS)
    if export is not None and not export.in_preparation:
        previous = state.next_allowed(user)
        context["next_at"] = previous and state.allowed_again_at(previous)
    return context


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def export(request: MemberRequest) -> HttpResponse:
    """The "Your data" tab; its form asks for an archive once access is
    confirmed (allauth's reauthentication, as for the other account pages)."""
    if request.method == "POST":
        page = public(request.build_absolute_uri(reverse("export")))
        email = get_adapter(request).render_for_worker(
            "exports/email/ready",
            request.user.email,
            {"user": request.user, "export_url": page},
        )
        try:
            state.request_archive(request.user, email)
        except state.Refused as refused:
            messages.error(request, str(refused))
        return redirect("export")
    return render(request, PAGE_TEMPLATE, status_context(request.user))


@login_required
@require_GET
def export_status(request: MemberRequest) -> HttpResponse:
    context = status_context(request.user)
    # The announcement changes only when what it says does: a poll that
    # finds the same state and step leaves the live region alone.
    context["announce"] = (
        bool(request.htmx) and request.GET.get("said") != context["said"]
    )
    response = render(request, STATUS_TEMPLATE, context)
    if request.htmx and context["poll"] is None:
        # The fragment carries no trigger any more; 286 also tells htmx 2 to stop.
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
def download(request: MemberRequest, export_id: uuid.UUID) -> HttpResponseBase:
    """The archive, to its owner only, while it lasts: anyone else, signed in
    or not, and any other id, gets the same 404 (no sign-in page that would
    tell an archive is there)."""
    if not request.user.is_authenticated:
        raise Http404("no such archive")
    export = Export.objects.filter(
        pk=export_id,
        user=request.user,
        state=State.READY,
        expires_at__gt=timezone.now(),
    ).first()
    if export is None:
        raise Http404("no such archive")
    filename = f"avatars-{request.user.username}-{export.finished_at:%Y-%m-%d}.zip"
    storage = archives()
    try:
        path = storage.path(export.archive)
    except NotImplementedError:  # object storage: a link that expires
        disposition = f'attachment; filename="{filename}"'
        return redirect(
            storage.url(  # type: ignore[call-arg]  # django-storages' S3Storage
                export.archive,
                parameters={"ResponseContentDisposition": disposition},
                expire=LINK_SECONDS,
            )
        )
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115  # FileResponse closes it
        as_attachment=True,
        filename=filename,
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
