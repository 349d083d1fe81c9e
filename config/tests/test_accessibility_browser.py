"""Every page in testing.accessibility.PAGES passes axe-core at both widths in
both themes: no violation of serious or critical impact.

Each page is reached once and audited four times, resized and re-themed in
place (Playwright's media emulation applies at once): a quarter of the page
loads, and every combination is still reported, not only the first to fail.
"""

import itertools

import pytest

from testing import accessibility
from testing.accessibility import PAGES, THEMES, WIDTHS, AuditedPage, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("audited", PAGES, ids=[page.name for page in PAGES])
def test_the_page_has_no_serious_accessibility_violation(
    audited: AuditedPage, browser, live_server
):
    context = browser.new_context(base_url=live_server.url)
    found: list[str] = []
    try:
        audited.arrange(Visit(context, live_server.url))
        page = context.new_page()
        response = page.goto(audited.path)
        # This page, not another: no redirect to the log-in, no other answer.
        assert response and response.status == audited.status, page.content()
        assert page.url == live_server.url + audited.path
        audited.act(page)
        for (width, (w, h)), theme in itertools.product(WIDTHS.items(), THEMES):
            page.set_viewport_size({"width": w, "height": h})
            page.emulate_media(color_scheme=theme)
            found += [
                f"{audited.name} at {width} in the {theme} theme: {violation}"
                for violation in accessibility.audit(page)
            ]
    finally:
        context.close()

    assert not found, "\n".join(found)
