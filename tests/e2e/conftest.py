"""One running platform for the end-to-end tests of a session, the SMTP server its mails go to, and one Chromium."""
import pytest

from tests.support.mailbox import Mailbox
from tests.support.system import System


@pytest.fixture(scope="session")
def system(servers, tmp_path_factory):
    mailbox = Mailbox().start()
    running = System(servers, tmp_path_factory.mktemp("logs"), extra_env={"SMTP_URL": mailbox.url})
    running.mailbox = mailbox
    try:
        running.start()
        yield running
    finally:
        running.shutdown()
        mailbox.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, one for the whole session: Playwright's sync API runs once per process."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.web_support import launch

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
