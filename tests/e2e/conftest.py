"""One running platform for the end-to-end tests of a session."""
import pytest

from tests.support.system import System


@pytest.fixture(scope="session")
def system(servers, tmp_path_factory):
    running = System(servers, tmp_path_factory.mktemp("logs"))
    try:
        running.start()
        yield running
    finally:
        running.shutdown()
