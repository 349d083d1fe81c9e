from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django.views.static import serve
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling
from huey.contrib.djhuey import HUEY

from registration import avatars, heartbeat, ratelimit
from registration.avatars import refresh_avatar_state
from registration.forms import ProfileForm, RegistrationForm
from registration.models import AvatarState, Profile


def avatar_context(profile: Profile, first_poll: bool = False) -> dict:
    return {
        "profile": profile,
        "worker_present": (
            profile.avatar_state != AvatarState.QUEUED
            or heartbeat.any_worker_alive_recently()
        ),
        "first_poll": first_poll,
        "first_poll_ms": settings.AVATAR_FIRST_POLL_MS,
        "poll_ms": poll_interval_ms(profile),
    }


def poll_interval_ms(profile: Profile) -> int:
    """Fast while the photo is most likely to turn ready, then steady."""
    queued_at = profile.avatar_queued_at
    if queued_at and timezone.now() - queued_at < settings.AVATAR_FAST_POLL_FOR:
        return settings.AVATAR_FAST_POLL_MS
    return settings.AVATAR_POLL_MS


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("profile" if request.user.is_authenticated else "register")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST" and (
        wait := ratelimit.seconds_to_wait(
            "sign-up", request, account=request.POST.get("email", "")
        )
    ):
        # Not validated: no password hash for a throttled attempt.
        form = RegistrationForm(initial=request.POST.dict())
        form.throttled = ratelimit.message("sign-up", wait)
        # htmx 2 swaps only 2xx answers: the message must arrive as a 200 there.
        status = 200 if request.htmx else 429
    elif request.method == "POST":
        form = RegistrationForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                user = form.save()
            except IntegrityError:
                # Someone took the name or e-mail between validation and save:
                # validating again names the field.
                form = RegistrationForm(request.POST, request.FILES)
                if form.is_valid():
                    raise
            else:
                login(request, user)
                if request.htmx:
                    return HttpResponseClientRedirect(reverse("profile"))
                return redirect("profile")
    else:
        form = RegistrationForm()
    template_name = "registration/register.html"
    if request.htmx:
        template_name += "#signup-form"
    return render(request, template_name, {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    """Django's login, with attempts limited per address and per username."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        wait = ratelimit.seconds_to_wait("login", request, account=username)
        if not wait:
            return super().post(request, *args, **kwargs)
        # Unbound: validating would authenticate, which is the hash we refuse.
        form = self.form_class(request, initial={"username": username})
        form.throttled = ratelimit.message("login", wait)
        return self.render_to_response(self.get_context_data(form=form), status=429)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    profile = refresh_avatar_state(request.user.profile)
    saved = False
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=profile)
        if form.is_valid():
            form.save()
            if not request.htmx:
                return redirect("profile")
            saved = True
            form = ProfileForm(instance=profile)
    else:
        form = ProfileForm(instance=profile)
    template_name = "registration/profile.html"
    if request.htmx:
        template_name += "#profile"
    context = {"form": form, "saved": saved, **avatar_context(profile, first_poll=True)}
    return render(request, template_name, context)


@login_required
@require_GET
def avatar_status(request: HttpRequest) -> HttpResponse:
    profile = refresh_avatar_state(request.user.profile)
    response = render(
        request, "registration/profile.html#avatar", avatar_context(profile)
    )
    if request.htmx and not profile.avatar_pending:
        # The fragment carries no trigger any more; 286 also tells htmx 2 to stop.
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_POST
def retry_avatar(request: HttpRequest) -> HttpResponse:
    """ "Try again": queue the same photo again after a failure."""
    profile = request.user.profile
    with transaction.atomic():
        avatars.retry_avatar(profile)
    if not request.htmx:
        return redirect("profile")
    return render(
        request,
        "registration/profile.html#avatar",
        avatar_context(profile, first_poll=True),
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the queue answer; says whether a worker beats."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    try:
        checks["queued_tasks"] = HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {exc}"
    checks["worker"] = "alive" if heartbeat.any_worker_alive() else "absent"
    healthy = checks["database"] == "ok" and checks["queue"] == "ok"
    return JsonResponse(checks, status=200 if healthy else 503)


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve thumbnails from MEDIA_ROOT (whitenoise serves static files only).

    Thumbnail names are random and never reused, so browsers may keep them.
    """
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except SuspiciousFileOperation:
        # A path that climbs out of MEDIA_ROOT is a guess: it does not exist.
        raise Http404(path) from None
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
