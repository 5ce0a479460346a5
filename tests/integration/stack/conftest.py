import pytest

from .stackrun import Emulators


@pytest.fixture(scope="session")
def emulators():
    with Emulators() as emu:
        yield emu
