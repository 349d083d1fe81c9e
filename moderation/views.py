from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from moderation.forms import ReportForm
from moderation.models import Report
from registration.views import MemberRequest, visible_person

TEMPLATE = "moderation/report.html"
YOURSELF = "You cannot report yourself. To change your page, edit your profile."


@login_required
@require_http_methods(["GET", "POST"])
def report(request: MemberRequest, username: str) -> HttpResponse:
    """Report a person whose page the member can see. One open report per
    person: sending another updates it. The person is never told who."""
    person = visible_person(request, username)
    template_name = f"{TEMPLATE}#report-form" if request.htmx else TEMPLATE
    context: dict[str, Any] = {"person": person, "sent": False}
    if person.pk == request.user.pk:
        context["refusal"] = YOURSELF
        return render(request, template_name, context, status=403)
    form = ReportForm(request.POST if request.method == "POST" else None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        limited: HttpResponse | None = ratelimit.consume_or_429(
            request, action="report", user=request.user
        )
        if limited:
            return limited
        Report.objects.update_or_create(
            reporter=request.user,
            person=person,
            closed_at=None,
            defaults=form.cleaned_data,
        )
        if not request.htmx:
            messages.success(request, "Thank you: our moderators will look at it.")
            return redirect("person", username=person.username)
        context["sent"] = True
    return render(request, template_name, context)
