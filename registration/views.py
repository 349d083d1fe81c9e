from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
)
from django_htmx.http import HttpResponseClientRedirect

from avatars import state
from avatars.views import status_context
from config.http import HtmxHttpRequest, MemberRequest
from registration import ratelimit
from registration.forms import LoginForm, ProfileForm, RegistrationForm


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    return redirect("profile" if request.user.is_authenticated else "register")


@require_http_methods(["GET", "POST"])
def register(request: HtmxHttpRequest) -> HttpResponse:
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
    template_name = "accounts/register.html"
    if request.htmx:
        template_name += "#signup-form"
    return render(request, template_name, {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    """Django's login, with attempts limited per address and per username."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        wait = ratelimit.seconds_to_wait("login", request, account=username)
        if not wait:
            return super().post(request, *args, **kwargs)
        # Unbound: validating would authenticate, which is the hash we refuse.
        form = LoginForm(request, initial={"username": username})
        form.throttled = ratelimit.message("login", wait)
        return self.render_to_response(self.get_context_data(form=form), status=429)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: MemberRequest) -> HttpResponse:
    profile = state.refresh(request.user.profile)
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
    template_name = "accounts/profile.html"
    if request.htmx:
        template_name += "#profile"
    context = {"form": form, "saved": saved, **status_context(profile, first_poll=True)}
    return render(request, template_name, context)
