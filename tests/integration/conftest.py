"""Fixtures shared by the integration tests of the Application on every store."""

from __future__ import annotations

import pytest

from domain.application import HubApplication
from tests.referral_world import register_world, with_clock


@pytest.fixture
def app(application: HubApplication) -> HubApplication:
    """The application on each store, with the test world registered and a manual clock
    (modules with another set-up define their own `app`)."""
    with_clock(application)
    register_world(application)
    return application
