"""Shared by the gate tests: people speak English here, so assertions on messages survive translation."""

from __future__ import annotations

import pytest

from tests.factories import Factories


@pytest.fixture(autouse=True)
def english(monkeypatch):
    original = Factories.user

    def user(self, role="teacher", school=None, **kw):
        kw.setdefault("locale", "en")
        return original(self, role, school, **kw)

    monkeypatch.setattr(Factories, "user", user)
