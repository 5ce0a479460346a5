"""Fixtures for the Atlas tests (see atlas_testlib.py)."""

from atlas_testlib import standin  # noqa: F401  pylint: disable=unused-import
