"""In Chromium: a member reports a person from their page, a moderator
removes the photo in the admin with a reason, and the page shows the
initials."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from moderation.models import Action, AuditEntry, Report
from registration.models import Visibility
from registration.tests.test_browser import log_in
from registration.tests.test_people import PASSWORD, member, ready_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(browser, live_server):
    """Pages of browsers of their own (a member's, a moderator's), closed after."""
    contexts = []

    def new_page():
        contexts.append(browser.new_context(base_url=live_server.url))
        return contexts[-1].new_page()

    yield new_page
    for context in contexts:
        context.close()


def test_report_then_a_moderator_removes_the_photo(new_page):
    paula = member("paula", Visibility.MEMBERS)
    ready_photo(paula)
    member("rita")
    mona = member("mona", is_staff=True)
    mona.user_permissions.add(Permission.objects.get(codename="moderate"))

    rita = new_page()
    rita.goto("/accounts/login/?next=/u/paula/")
    log_in(rita, "rita", PASSWORD)
    expect(rita.locator(".person img.avatar-img--photo")).to_be_visible()
    rita.evaluate("window.notReloaded = true")
    rita.get_by_role("link", name="Report paula").click()
    rita.get_by_label("Offensive photo").check()
    rita.get_by_label("Anything our moderators should know?").fill("Not a face.")
    rita.get_by_role("button", name="Send the report").click()
    expect(rita.locator("#report-box").get_by_role("status")).to_have_text(
        "Thank you: our moderators will look at it."
    )
    assert rita.evaluate("window.notReloaded") is True  # it opened in place

    admin = new_page()
    admin.goto("/admin/moderation/reportedperson/")
    log_in(admin, "mona", PASSWORD)  # the site's sign-in serves the admin too
    row = admin.get_by_role("row").filter(has_text="paula")
    expect(row).to_contain_text("Not a face.")
    row.get_by_role("checkbox").check()
    admin.locator("select[name=action]").select_option(label=Action.REMOVE_PHOTO.label)
    admin.get_by_role("button", name="Go").click()
    admin.get_by_label("Reason").fill("Photos must show the member.")
    admin.get_by_role("button", name=Action.REMOVE_PHOTO.label).click()
    expect(admin.locator(".messagelist")).to_contain_text("paula")

    rita.goto("/u/paula/")
    expect(rita.locator(".person img.avatar-img--initials")).to_be_visible()
    assert rita.locator(".person img.avatar-img--photo").count() == 0
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.reason) == (
        Action.REMOVE_PHOTO,
        "Photos must show the member.",
    )
    assert Report.objects.get().closed_at is not None
