"""The Avatar admin: photo states, requeueing, huey's dashboard."""

import pytest
from huey.contrib.djhuey import HUEY

from avatars.models import Avatar

pytestmark = pytest.mark.django_db


def test_admin_lists_states_and_requeues_failed_photos(
    admin_client, queued, django_capture_on_commit_callbacks
):
    Avatar.objects.filter(pk=queued.pk).update(state="failed", error="It broke.")
    HUEY.flush()
    page = admin_client.get("/admin/avatars/avatar/?state__exact=failed")
    html = page.content.decode()
    assert page.status_code == 200
    assert "It broke." in html and queued.task_id in html

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/avatars/avatar/",
            {"action": "requeue_photos", "_selected_action": [queued.pk]},
        )
    assert Avatar.objects.get(pk=queued.pk).state == "queued"
    assert len(HUEY.pending()) == 1


def test_huey_dashboard_is_in_the_admin(admin_client):
    response = admin_client.get("/admin/hueystats/hueydashboard/")
    assert response.status_code == 200
    assert b"Huey" in response.content
