"""Integration fixtures."""

import pytest
from argon2 import PasswordHasher

from mileage import hashing


@pytest.fixture(autouse=True)
def cheap_secret_hashing(monkeypatch):
    """Hash PINs and passwords with the cheapest argon2 cost: the cost is a production setting, not a rule."""
    monkeypatch.setattr(hashing, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
