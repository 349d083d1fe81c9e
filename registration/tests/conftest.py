import pytest


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab on the live server."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()
