"""Where the real-account tier runs: a real AWS account and Atlas project when asked to, otherwise the
emulators behind the adversarial front (see accounts.py)."""

import pytest

from .accounts import target_from_environment


@pytest.fixture(scope="module")
def target():
    chosen = target_from_environment()
    with chosen:
        yield chosen
