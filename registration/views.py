from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.reauthentication import (
    did_recently_reauthenticate,
)
from allauth.account.models import EmailAddress
from allauth.account.views import SignupView as AllauthSignupView
from allauth.core import ratelimit
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from avatars import state
from avatars.views import status_context
from config.http import HtmxHttpRequest
from registration import directory, useragents
from registration.forms import (
    DeleteAccountForm,
    EndSessionsForm,
    ProfileForm,
    SignupForm,
)
from registration.models import User


class MemberRequest(HtmxHttpRequest):
    """A request behind @login_required."""

    user: User


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    return redirect("profile" if request.user.is_authenticated else "register")


class SignupView(AllauthSignupView):
    """allauth's sign-up at /register/, answering htmx with the form alone.

    A redirect becomes HX-Redirect for htmx (config.htmx), so a sign-up lands on
    the live profile page either way.
    """

    template_name = "account/signup.html"

    def get_template_names(self) -> list[str]:
        if self.request.htmx and self.request.method == "POST":
            return [f"{self.template_name}#signup-form"]
        return [self.template_name]

    def form_valid(self, form: SignupForm) -> HttpResponse:
        try:
            response: HttpResponse = super().form_valid(form)
        except IntegrityError:
            # Someone took the name or e-mail between validation and save:
            # validating again names the field.
            form = self.get_form_class()(**self.get_form_kwargs())
            if form.is_valid():
                raise
            return self.form_invalid(form)  # type: ignore[no-any-return]
        return response


signup = SignupView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: MemberRequest) -> HttpResponse:
    profile = request.user.profile
    avatar = state.refresh(request.user.avatar)
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
    context: dict[str, Any] = {
        "profile": profile,
        "form": form,
        "saved": saved,
        "unconfirmed_email": EmailAddress.objects.filter(
            user=request.user, primary=True, verified=False
        ).first(),
        **status_context(avatar),
    }
    return render(request, template_name, context)


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: MemberRequest) -> HttpResponse:
    """The browsers signed in to the account, each of which can be signed out."""
    tracked = UserSession.objects.purge_and_list(request.user)
    if not any(s.is_current() for s in tracked):
        # Signed in before sessions were recorded: this one is listed from now.
        UserSession.objects.create_from_request(request)
        tracked = UserSession.objects.purge_and_list(request.user)
    form = EndSessionsForm(
        request.POST if request.method == "POST" else None, sessions=tracked
    )
    if request.method == "POST" and form.is_valid():
        ended = len(form.cleaned_data["end"])
        if form.save():
            get_adapter().logout(request)
            messages.success(request, "You are signed out on every browser.")
            return redirect("account_login")
        messages.success(
            request,
            "That browser is signed out."
            if ended == 1
            else f"{ended} browsers are signed out.",
        )
        return redirect("usersessions_list")
    listed = sorted(
        tracked, key=lambda s: (not s.is_current(), -s.created_at.timestamp())
    )
    context = {
        "form": form,
        "sessions": [
            {
                "id": s.pk,
                "browser": useragents.describe(s.user_agent),
                "ip": s.ip,
                "signed_in_at": s.created_at,
                "current": s.is_current(),
            }
            for s in listed
        ],
    }
    return render(request, "usersessions/usersession_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: MemberRequest) -> HttpResponse:
    """Delete the account and everything in it, after a confirmation page.

    allauth offers no such view (its maintainer declined one): this asks for
    the password, as allauth's "confirm access" does and under its limits,
    unless the person confirmed access within the last few minutes.
    """
    limited: HttpResponse | None = ratelimit.consume_or_429(
        request, action="reauthenticate"
    )
    if limited:
        return limited  # posts are counted, not page views
    form = DeleteAccountForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        password_needed=not did_recently_reauthenticate(request),
    )
    if request.method == "POST" and form.is_valid():
        form.delete()
        get_adapter().logout(request)
        messages.success(
            request,
            "Your account is deleted, with your photos and everything else in it.",
        )
        return redirect("home")
    return render(request, "account/delete.html", {"form": form})


def visible_person(request: HttpRequest, username: str) -> User:
    """The person named, if `request.user` may see their page; else a 404,
    exactly as for a name nobody has (suspended people included)."""
    try:
        found = (
            User.objects.named(username[:30])
            .select_related("profile", "avatar")
            .get(is_active=True)
        )
    except User.DoesNotExist:
        raise Http404("No such person") from None
    if not found.profile.visible_to(request.user):
        raise Http404("No such person")
    return found


@require_GET
def person(request: HtmxHttpRequest, username: str) -> HttpResponse:
    """A person's page, for whoever their choice allows; for anyone else it
    does not exist, exactly as for a name nobody has."""
    found = visible_person(request, username)
    if found.username != username:
        return redirect("person", username=found.username, permanent=True)
    return render(request, "accounts/person.html", {"person": found.profile})


@login_required
@require_GET
def people(request: MemberRequest) -> HttpResponse:
    """Members whose choice lets other members see them, newest first; the
    search finds usernames that start with what is typed, in name order. Two
    queries a page, at any size: the viewer and the page."""
    query = request.GET.get("q", "").strip()[:30]
    cursors = {
        "after": request.GET.get("after", "")[:64] or None,
        "before": request.GET.get("before", "")[:64] or None,
    }
    if query:
        page = directory.page_of(
            directory.named_from(query), directory.BY_NAME, **cursors
        )
    else:
        page = directory.page_of(directory.listed(), directory.NEWEST_FIRST, **cursors)
    template_name = "accounts/people.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    return render(request, template_name, {"page": page, "query": query})
