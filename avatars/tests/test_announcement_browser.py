"""The photo's live region in Chromium (templates/avatars/announcement.html):
it changes once for each state the photo goes through, never for a poll that
finds nothing new, and the upload's progress is said in steps."""

import re

import pytest
from playwright.sync_api import expect

from avatars.models import Avatar, State
from testing import chromium, image_factory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# In every document the tab loads: each change to a live region, logged with
# its text once the change is done (MutationObserver calls back once a task).
RECORD_LIVE_REGIONS = """
document.addEventListener("DOMContentLoaded", () => {
  const counts = document.documentElement.dataset;
  counts.polls = 0;
  document.addEventListener("htmx:afterSettle", (e) => {
    if (e.detail.elt.id === "avatar") counts.polls = Number(counts.polls) + 1;
  });
  for (const region of document.querySelectorAll(
      "#avatar-announcement, .upload-progress__said")) {
    const name = region.id ? "photo" : "upload";
    const log = (verb) =>
      console.log(`live region: ${name} ${verb}: ${region.textContent}`);
    log("says");
    new MutationObserver(() => log("now says"))
      .observe(region, {childList: true, subtree: true, characterData: true});
  }
});
"""
AT_LEAST_10 = re.compile(r"^([1-9]\d+)$")


def record(page) -> list[str]:
    said: list[str] = []
    page.on(
        "console",
        lambda message: (
            said.append(message.text)
            if message.text.startswith("live region")
            else None
        ),
    )
    page.add_init_script(RECORD_LIVE_REGIONS)
    return said


def test_polls_that_find_nothing_new_leave_the_live_region_alone(
    page, live_server, settings
):
    settings.AVATAR_NO_WORKER_POLL_MS = 100  # no worker: the photo stays queued
    user = chromium_member(page, live_server)
    Avatar.objects.filter(pk=user.pk).update(state=State.QUEUED, image="o/q.jpg")
    said = record(page)

    page.goto("/profile/")
    expect(page.locator("html")).to_have_attribute("data-polls", AT_LEAST_10)

    assert said == [
        "live region: photo says: Your photo is waiting its turn.",
        "live region: upload says: ",
    ]
    expect(page.locator("#avatar")).not_to_have_attribute("aria-live", re.compile(""))


def test_the_live_region_says_each_state_of_a_photo_once(page, start_consumer, gate):
    start_consumer(AVATARS_TEST_GATE=str(gate.path))
    said = record(page)
    chromium.fill_sign_up_form(page, "lena")
    page.get_by_label("Profile photo").set_input_files(
        {
            "name": "IMG_0007.JPG",
            "mimeType": "image/jpeg",
            "buffer": image_factory.jpeg_bytes(size=(1600, 1200)),
        }
    )
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")
    gate.wait_for_task()
    expect(page.locator("#avatar")).to_have_attribute("data-state", "processing")
    polls_while_processing = int(page.locator("html").get_attribute("data-polls"))
    expect(page.locator("html")).not_to_have_attribute(
        "data-polls", str(polls_while_processing)
    )  # a poll that found it still processing
    gate.release()
    expect(page.locator("#avatar[data-state=ready] img")).to_be_visible()
    expect(page.locator("#avatar-announcement")).to_have_text("Your photo is ready.")

    upload = [line for line in said if line.startswith("live region: upload")]
    photo = [line for line in said if line.startswith("live region: photo")]
    # Sign-up, then the profile's own photo field, which says nothing.
    assert upload[:2] == [
        "live region: upload says: ",
        "live region: upload now says: Uploading your photo: 0%",
    ]
    assert upload[-2:] == [
        "live region: upload now says: Photo uploaded.",
        "live region: upload says: ",
    ]
    steps = [line.rsplit(": ", 1)[1] for line in upload[2:-2]]
    assert set(steps) <= {"25%", "50%", "75%"} and steps == sorted(set(steps))
    assert photo in (
        [
            "live region: photo says: Your photo is waiting its turn.",
            "live region: photo now says: Processing your photo…",
            "live region: photo now says: Your photo is ready.",
        ],
        [
            "live region: photo says: Processing your photo…",
            "live region: photo now says: Your photo is ready.",
        ],
    )


def chromium_member(page, live_server):
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user("mo", "mo@example.com", "x")
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return user
