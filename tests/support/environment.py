"""What the tests and the platforms they start share: keys made for this run, and where sign-ins are counted.

No test trusts a key written in the repository: each run makes its own, like `make run` does for a checkout.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from shared.keys import ENVIRONMENT, KEY_FILES, ensure_keys

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def configure_test_environment() -> dict[str, Path]:
    """Fresh keys in a directory of this run; Redis for the sign-in limits, under a prefix of this run."""
    directory = Path(tempfile.mkdtemp(prefix="veilleuse-test-keys-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    paths = ensure_keys(directory)
    for name, path in paths.items():
        os.environ.pop(name, None)
        os.environ[f"{name}_FILE"] = str(path)
    assert set(paths) == set(KEY_FILES)
    os.environ.pop(ENVIRONMENT, None)  # production rules, unless a test asks otherwise
    os.environ["RATELIMIT_STORAGE_URI"] = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    # Parallel runs (other work trees, CI) share the Redis of the machine: each counts under its own prefix.
    os.environ["RATELIMIT_KEY_PREFIX"] = f"veilleuse-test-{uuid.uuid4().hex[:12]}"
    return paths
