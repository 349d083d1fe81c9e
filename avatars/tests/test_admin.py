"""The Profile admin: photo states, requeueing, huey's dashboard."""

import pytest
from huey.contrib.djhuey import HUEY

from registration.models import Profile

pytestmark = pytest.mark.django_db


def test_admin_lists_states_and_requeues_failed_photos(
    admin_client, queued, django_capture_on_commit_callbacks
):
    Profile.objects.filter(pk=queued.pk).update(
        avatar_state="failed", avatar_error="It broke."
    )
    HUEY.flush()
    page = admin_client.get("/admin/registration/profile/?avatar_state__exact=failed")
    html = page.content.decode()
    assert page.status_code == 200
    assert "It broke." in html and queued.avatar_task_id in html

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/registration/profile/",
            {"action": "requeue_photos", "_selected_action": [queued.pk]},
        )
    assert Profile.objects.get(pk=queued.pk).avatar_state == "queued"
    assert len(HUEY.pending()) == 1


def test_huey_dashboard_is_in_the_admin(admin_client):
    response = admin_client.get("/admin/hueystats/hueydashboard/")
    assert response.status_code == 200
    assert b"Huey" in response.content
