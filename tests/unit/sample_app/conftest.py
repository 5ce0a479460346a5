"""Fixtures for the sample app's tests (see sample_app_testlib.py)."""

from sample_app_testlib import redis_env, redis_tls, start_backend, tls_files  # noqa: F401  pylint: disable=unused-import
