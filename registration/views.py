from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.views import SignupView as AllauthSignupView
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from avatars import state
from avatars.views import status_context
from config.http import HtmxHttpRequest, MemberRequest
from registration.forms import ProfileForm, SignupForm


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
    context: dict[str, Any] = {
        "form": form,
        "saved": saved,
        "unconfirmed_email": EmailAddress.objects.filter(
            user=request.user, primary=True, verified=False
        ).first(),
        **status_context(profile, first_poll=True),
    }
    return render(request, template_name, context)
