"""The document's error codes come from the error registry: an error a service raises appears by itself."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from mileage import errors
from mileage.http.errors import status_for
from mileage.http.openapi import ErrorFinder, operation_id


@pytest.fixture
def new_error():
    """A brand-new domain error, gone from the registry after the test."""

    class BrandNewRefusal(errors.Conflict):
        code = "brand_new_refusal"
        ko = "새로운 거절입니다."
        en = "A brand-new refusal."

    yield BrandNewRefusal
    del BrandNewRefusal
    gc.collect()


def _module(name: str, source: str, **names) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(names)
    exec(compile(source, name, "exec"), module.__dict__)  # functions whose __module__ is one of ours
    sys.modules[name] = module
    return module


def test_an_error_raised_two_calls_down_is_found_without_being_declared(new_error):
    service = _module(
        "mileage.synthetic_service",
        "def check(x):\n    if x:\n        raise BrandNewRefusal(x=x)\n    return _lookup(x)\n\n"
        "def _lookup(x):\n    raise errors.CardNotFound()\n\n"
        "def unrelated():\n    raise errors.CauseClosed()\n",
        BrandNewRefusal=new_error, errors=errors,
    )
    views = _module("merchant_api.synthetic_views", "def view():\n    return service.check(1)\n", service=service)
    try:
        found = ErrorFinder().errors_of(views.view)
    finally:
        del sys.modules["mileage.synthetic_service"], sys.modules["merchant_api.synthetic_views"]
    assert found == {new_error, errors.CardNotFound}
    assert status_for(new_error()) == 409


def test_families_are_not_listed_as_codes():
    service = _module(
        "mileage.synthetic_families",
        "def check():\n    try:\n        raise errors.WrongPin(remaining=1)\n"
        "    except errors.NotAllowed:\n        raise\n",
        errors=errors,
    )
    try:
        found = ErrorFinder().errors_of(service.check)
    finally:
        del sys.modules["mileage.synthetic_families"]
    assert found == {errors.WrongPin}


def test_operation_ids_follow_the_endpoint():
    assert operation_id("merchant.redeem") == "merchant_redeem"
    assert operation_id("admin_hours.edit_volunteer") == "admin_hours_edit_volunteer"
