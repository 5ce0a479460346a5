import pytest

from .stackrun import Emulators, legacy_inventory


@pytest.fixture(scope="session")
def emulators():
    with Emulators() as emu:
        yield emu


@pytest.fixture(scope="session")
def legacy(tmp_path_factory):
    """The local inventory written with the per-service variables of earlier releases (no webstack_services)."""
    return legacy_inventory(str(tmp_path_factory.mktemp("inventories")))
