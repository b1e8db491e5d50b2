"""One running platform for the end-to-end tests of a session, and the SMTP server its mails go to."""
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
