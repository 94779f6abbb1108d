"""Staff console texts: every key the pages use exists in Korean and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from admin.console.catalog import TEXT

from mileage.models import (
    CampaignItemState,
    CampaignState,
    CardStatus,
    CauseStatus,
    ClaimState,
    ConsentMethod,
    DonationChannel,
    MerchantStatus,
    Role,
    VolunteerStatus,
)

CONSOLE = Path(__file__).resolve().parents[2] / "admin" / "console"
# t("key") and label="key" in the views and templates; keys built at run time are checked below.
_LITERAL_KEY = re.compile(r"""(?:\bt\(|label=)\s*["']([a-z_0-9]+\.[a-z_0-9.]+)["']""")


def _used_keys() -> set[str]:
    keys = set()
    for path in [*CONSOLE.glob("*.py"), *CONSOLE.glob("templates/**/*.html")]:
        keys.update(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    # "merchants.to_" ~ target and the like are prefixes of keys built at run time.
    return {key for key in keys if not key.endswith(("_", "."))}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_scan_finds_the_keys_the_pages_use():
    keys = _used_keys()
    assert {"claims.approve_selected", "error.title", "login.title", "campaigns.run"} <= keys


def test_every_key_used_is_in_the_catalog():
    assert sorted(_used_keys() - TEXT.keys()) == []


def test_keys_built_at_run_time_exist():
    assert {"merchants.to_active", "merchants.to_suspended", "dashboard.series_issued", "dashboard.series_used",
            "reports.period_kind.day", "reports.period_kind.month", "error.csrf", "error.read_only"} <= TEXT.keys()
    assert all(f"weekday.{day}" in TEXT for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    from admin.console.report_pages import REPORT_NAMES

    assert all(f"report.{name}" in TEXT and f"report.{name}.hint" in TEXT for name in REPORT_NAMES)


@pytest.mark.parametrize("group, values", [
    ("claim_state", ClaimState), ("card_status", CardStatus), ("volunteer_status", VolunteerStatus),
    ("merchant_status", MerchantStatus), ("cause_status", CauseStatus), ("campaign_state", CampaignState),
    ("item_state", CampaignItemState), ("consent", ConsentMethod), ("channel", DonationChannel), ("role", Role),
])
def test_every_status_has_a_name(group, values):
    assert [value for value in values if f"{group}.{value}" not in TEXT] == []


def test_both_languages_are_filled_in_with_the_same_placeholders():
    for key, (korean, english) in TEXT.items():
        assert korean.strip() and english.strip(), key
        assert _placeholders(korean) == _placeholders(english), key
