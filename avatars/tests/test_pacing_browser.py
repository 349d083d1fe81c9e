"""A waiting photo in Chromium: a hidden tab stops polling, and catches up the
moment it is shown, under the site's Content-Security-Policy."""

import re

import pytest
from huey.contrib.djhuey import HUEY
from playwright.sync_api import expect

from avatars import pacing, recovery
from avatars.models import Avatar, State
from testing import chromium, image_factory
from testing.thumbnails import write_thumbnails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The tab's visibility, as the page reads it. Headless Chromium shows every tab,
# so the test decides what document.hidden says and announces each change as
# the browser would.
CONTROLLED_VISIBILITY = """
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return window.tabHidden === true; },
});
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.tabHidden ? "hidden" : "visible"; },
});
document.addEventListener("securitypolicyviolation", (e) =>
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));
"""
# After site.js: what became of each poll htmx was about to send, counted on
# the page's root too, for locator assertions (the CSP forbids the eval that
# wait_for_function needs).
RECORD_POLLS = """() => {
  window.polls = [];
  const counts = document.documentElement.dataset;
  counts.sent = counts.whileHidden = 0;
  document.addEventListener("htmx:confirm", (e) => {
    const poll = {
      by: e.detail.triggeringEvent ? e.detail.triggeringEvent.type : "timer",
      sent: !e.defaultPrevented,
      hidden: document.hidden,
    };
    window.polls.push(poll);
    if (poll.sent) counts.sent = Number(counts.sent) + 1;
    if (document.hidden) counts.whileHidden = Number(counts.whileHidden) + 1;
  });
}"""
AT_LEAST_2, AT_LEAST_4 = re.compile(r"^([2-9]|\d\d+)$"), re.compile(r"^([4-9]|\d\d+)$")
SET_VISIBILITY = """(hidden) => {
  window.tabHidden = hidden;
  document.dispatchEvent(new Event("visibilitychange"));
  return window.polls[window.polls.length - 1];
}"""


def test_a_hidden_tab_stops_polling_and_catches_up_when_shown(
    browser, live_server, tmp_path, settings
):
    settings.AVATAR_QUEUED_POLL_MIN_MS = settings.AVATAR_QUEUED_POLL_MAX_MS = 250
    # The suite's fast clocks take a worker for dead after 2 s; one beat must
    # last the test.
    settings.AVATAR_WORKER_TIMEOUT_SECONDS = 300
    recovery.beat()  # a worker is alive, and it is slow: the photo waits
    pacing.forget_last_look()
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.add_init_script(CONTROLLED_VISIBILITY)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "violation" in m.text.lower() else None,
    )
    requests: list[str] = []
    page.on(
        "request",
        lambda r: requests.append(r.url) if "/profile/avatar/" in r.url else None,
    )
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(image_factory.jpeg_bytes(size=(800, 600)))

    chromium.fill_sign_up_form(page, "tove")
    page.get_by_label("Profile photo").set_input_files(photo)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")
    expect(page.locator("#avatar")).to_have_attribute("data-queue-position", "1")
    page.evaluate(RECORD_POLLS)
    root = page.locator("html")
    expect(root).to_have_attribute("data-sent", AT_LEAST_2)

    page.evaluate(SET_VISIBILITY, True)
    sent_before = len(requests)
    expect(root).to_have_attribute("data-while-hidden", AT_LEAST_4)
    while_hidden = page.evaluate("window.polls.filter((p) => p.hidden)")

    assert [poll for poll in while_hidden if poll["sent"]] == []
    assert len([poll for poll in while_hidden if poll["by"] == "timer"]) >= 3
    assert len(requests) == sent_before

    avatar = Avatar.objects.get(user__username="tove")
    Avatar.objects.filter(pk=avatar.pk).update(state=State.PROCESSING)
    HUEY.put_result(
        avatar.task_id, {"image": avatar.image.name, "thumbnails": write_thumbnails()}
    )
    on_showing = page.evaluate(SET_VISIBILITY, False)

    assert on_showing == {"by": "visibilitychange", "sent": True, "hidden": False}
    expect(page.locator("#avatar")).to_have_attribute("data-state", "ready")
    assert violations == []
    context.close()
