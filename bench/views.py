from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from avatars.conf import conf
from avatars.pacing import Poll
from avatars.views import STATUS_TEMPLATE
from registration.views import MemberRequest


@login_required
def naive_avatar(request: MemberRequest) -> HttpResponse:
    """The tutorial's status fragment, for reference: the row as it is, rendered
    with the site's own template (so only the data access differs)."""
    context = {
        "avatar": request.user.avatar,
        "worker_present": True,
        "poll": Poll(conf.QUEUED_POLL_MIN_MS),
    }
    return render(request, STATUS_TEMPLATE, context)
