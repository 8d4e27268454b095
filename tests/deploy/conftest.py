"""Fixtures for the deployment tests."""

from tests.fixtures.databases import engine_url  # noqa: F401  (fixture)
