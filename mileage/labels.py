"""What states, statuses and kinds are called: every value a screen, file or message may name, never the raw value.

Each group is a gettext context (`pgettext(group, msgid)`), so "Active" can be 사용 중 for a card and 영업 중
for a shop. `label(group, value, language)` renders one; a value missing here is a defect the catalogue
tests catch (tests/unit/test_catalogue.py).
"""

from __future__ import annotations

from mileage.i18n import NP_, translate_in_context

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "staff": NP_("role", "Staff"),
        "admin": NP_("role", "Admin"),
        "auditor": NP_("role", "Auditor"),
        "coordinator": NP_("role", "Coordinator"),
        "volunteer": NP_("role", "Volunteer"),
        "merchant": NP_("role", "Shop"),
        "system": NP_("role", "System"),
        "read_only": NP_("role", "Read-only"),
    },
    "user_link": {
        "organisation_id": NP_("user_link", "an organisation"),
        "volunteer_id": NP_("user_link", "a volunteer"),
    },
    "chart_series": {
        "issued": NP_("chart_series", "Issued"),
        "used": NP_("chart_series", "Used (shops + donations)"),
    },
    "claim_state": {
        "submitted": NP_("claim_state", "Waiting"),
        "approved": NP_("claim_state", "Approved"),
        "rejected": NP_("claim_state", "Rejected"),
        "reversed": NP_("claim_state", "Reversed"),
    },
    "volunteer_status": {
        "active": NP_("volunteer_status", "Active"),
        "inactive": NP_("volunteer_status", "Inactive"),
    },
    "card_status": {
        "active": NP_("card_status", "Active"),
        "lost": NP_("card_status", "Lost"),
        "blocked": NP_("card_status", "Blocked"),
        "replaced": NP_("card_status", "Replaced"),
    },
    "merchant_action": {
        "active": NP_("merchant_action", "Activate"),
        "suspended": NP_("merchant_action", "Suspend"),
    },
    "merchant_status": {
        "pending": NP_("merchant_status", "Pending"),
        "active": NP_("merchant_status", "Active"),
        "suspended": NP_("merchant_status", "Suspended"),
    },
    "weekday": {
        "mon": NP_("weekday", "Mon "),
        "tue": NP_("weekday", "Tue "),
        "wed": NP_("weekday", "Wed "),
        "thu": NP_("weekday", "Thu "),
        "fri": NP_("weekday", "Fri "),
        "sat": NP_("weekday", "Sat "),
        "sun": NP_("weekday", "Sun "),
    },
    "cause_status": {
        "active": NP_("cause_status", "Open"),
        "closed": NP_("cause_status", "Closed"),
    },
    "channel": {
        "volunteer": NP_("channel", "Volunteer (app)"),
        "staff": NP_("channel", "Staff"),
        "campaign": NP_("channel", "Campaign"),
        "expiry": NP_("channel", "Expiring points"),
    },
    "consent": {
        "written": NP_("consent", "In writing"),
        "verbal": NP_("consent", "Verbally"),
        "app": NP_("consent", "In the app"),
    },
    "campaign_state": {
        "ready": NP_("campaign_state", "Ready"),
        "running": NP_("campaign_state", "Running"),
        "completed": NP_("campaign_state", "Completed"),
    },
    "item_state": {
        "pending": NP_("item_state", "Pending"),
        "done": NP_("item_state", "Donated"),
        "skipped": NP_("item_state", "Skipped"),
        "failed": NP_("item_state", "Failed"),
    },
    "campaign_reason": {
        "insufficient_balance": NP_("campaign_reason", "Not enough points"),
        "volunteer_has_no_card": NP_("campaign_reason", "No card"),
        "card_not_active": NP_("campaign_reason", "Card blocked"),
        "nothing_to_donate": NP_("campaign_reason", "Nothing to donate"),
    },
    "period_kind": {
        "day": NP_("period_kind", "Daily"),
        "month": NP_("period_kind", "Monthly"),
    },
    "report_name": {
        "movements": NP_("report_name", "Point movements and liability"),
        "hours": NP_("report_name", "Hours and points"),
        "volunteers": NP_("report_name", "Active and new volunteers"),
        "top_volunteers": NP_("report_name", "Top volunteers"),
        "donations": NP_("report_name", "Donations per cause"),
        "shop_accounts": NP_("report_name", "Shop accounts (ledger)"),
        "settlement": NP_("report_name", "Shop settlement"),
    },
    "report_hint": {
        "movements": NP_(
            "report_hint",
            "Points issued, redeemed, refunded, donated, disbursed and expired per month, "
            "with all card balances at each month's start and end.",
        ),
        "hours": NP_(
            "report_hint",
            "Approved hours and the points credited, counted in the month of approval.",
        ),
        "volunteers": NP_(
            "report_hint",
            "Volunteers with hours recognised, and new registrations, per month; the total counts each person once.",
        ),
        "top_volunteers": NP_("report_hint", "Most recognised hours in the period first."),
        "donations": NP_("report_hint", "Points donated to and handed over from each cause."),
        "shop_accounts": NP_("report_hint", "Points redeemed and refunded per shop ledger account."),
        "settlement": NP_(
            "report_hint",
            "Discounts and refunds per shop and settlement period, and whether it is closed.",
        ),
    },
    "report_dimension": {
        "month": NP_("report_dimension", "Month"),
        "organisation": NP_("report_dimension", "Organisation"),
        "category": NP_("report_dimension", "Category"),
    },
    "action": {
        "console.sign_in": NP_("action", "Console sign-in"),
        "certificate.issue": NP_("action", "Certificate of hours issued"),
        "certificate.revoke": NP_("action", "Certificate of hours revoked"),
        "site_device.create": NP_("action", "Site device registered"),
        "site_device.revoke": NP_("action", "Site device revoked"),
        "site_visit.check_in": NP_("action", "Checked in at the site"),
        "site_visit.check_out": NP_("action", "Checked out at the site"),
        "site_visit.correct": NP_("action", "Site visit times corrected"),
        "claims.export_1365": NP_("action", "Hours exported for 1365"),
        "claims.import_1365": NP_("action", "Hours imported from 1365"),
        "claims.upload_preview": NP_("action", "File of hours previewed"),
        "claims.upload_confirm": NP_("action", "File of hours recorded"),
        "console.sign_out": NP_("action", "Console sign-out"),
        "claim.submit": NP_("action", "Claim submitted"),
        "claim.approve": NP_("action", "Claim approved"),
        "claim.reject": NP_("action", "Claim rejected"),
        "claim.reverse": NP_("action", "Claim reversed"),
        "volunteer.register": NP_("action", "Volunteer registered"),
        "volunteer.edit": NP_("action", "Volunteer edited"),
        "card.issue": NP_("action", "Card issued"),
        "card.report_lost": NP_("action", "Card reported lost"),
        "card.block": NP_("action", "Card blocked"),
        "card.unblock": NP_("action", "Card unblocked"),
        "card.reissue": NP_("action", "Card reissued"),
        "card.pin_reset": NP_("action", "PIN reset"),
        "card.pin_unlock": NP_("action", "PIN unlocked"),
        "organisation.create": NP_("action", "Organisation registered"),
        "coordinator.create": NP_("action", "Coordinator created"),
        "merchant.register": NP_("action", "Shop registered"),
        "merchant.update": NP_("action", "Shop edited"),
        "merchant.activate": NP_("action", "Shop activated"),
        "merchant.suspend": NP_("action", "Shop suspended"),
        "merchant.offer": NP_("action", "Offer changed"),
        "terminal.create": NP_("action", "Terminal added"),
        "terminal.rotate": NP_("action", "Terminal secret rotated"),
        "terminal.revoke": NP_("action", "Terminal revoked"),
        "settlement.close": NP_("action", "Settlement closed"),
        "cause.create": NP_("action", "Cause opened"),
        "cause.edit": NP_("action", "Cause edited"),
        "cause.close": NP_("action", "Cause closed"),
        "cause.reopen": NP_("action", "Cause reopened"),
        "donation.on_behalf": NP_("action", "Donation on behalf"),
        "disbursement.record": NP_("action", "Disbursement recorded"),
        "campaign.create": NP_("action", "Campaign created"),
        "campaign.run": NP_("action", "Campaign run"),
        "campaign.run_requested": NP_("action", "Campaign run requested"),
        "card.pin_change": NP_("action", "PIN changed"),
        "claims.import": NP_("action", "Claims file imported"),
        "user.create": NP_("action", "User account created"),
        "user.disable": NP_("action", "User account disabled"),
        "user.enable": NP_("action", "User account enabled"),
        "user.reset_password": NP_("action", "Password reset"),
        "user.change_password": NP_("action", "Password changed"),
        "user.set_role": NP_("action", "Role changed"),
        "rule_set.create": NP_("action", "Rule set version added"),
        "tiers.review": NP_("action", "Tier review run"),
        "merchant.tier_benefit": NP_("action", "Tier discount set"),
        "user.end_sign_ins": NP_("action", "Phone sign-ins ended"),
        "terminal.end_sessions": NP_("action", "Counter sessions ended"),
        "claims.approve_batch": NP_("action", "Claims approved as a batch"),
        "claims.undo_batch": NP_("action", "Approval batch undone"),
    },
    # What happened to one claim, in its history on the claim's page (the audit log's actions).
    "claim_event": {
        "claim.submit": NP_("claim_event", "Submitted"),
        "claim.correct": NP_("claim_event", "Corrected"),
        "claim.update": NP_("claim_event", "Corrected"),
        "claim.approve": NP_("claim_event", "Approved"),
        "claim.reject": NP_("claim_event", "Rejected"),
        "claim.reverse": NP_("claim_event", "Reversed"),
        "claim.import": NP_("claim_event", "Imported"),
    },
    "entry_kind": {
        "claim_approval": NP_("entry_kind", "hours credited"),
        "claim_reversal": NP_("entry_kind", "hours reversed"),
        "redemption": NP_("entry_kind", "shop discount"),
        "redemption_refund": NP_("entry_kind", "discount refunded"),
        "hold": NP_("entry_kind", "held at a shop"),
        "hold_capture": NP_("entry_kind", "rest of a hold returned"),
        "hold_release": NP_("entry_kind", "hold released"),
        "donation": NP_("entry_kind", "donation"),
        "disbursement": NP_("entry_kind", "donation handed over"),
        "expiry": NP_("entry_kind", "expired"),
        "expiry_donation": NP_("entry_kind", "expiring points donated"),
        "card_reissue": NP_("entry_kind", "card reissued"),
        "reversal": NP_("entry_kind", "reversal"),
    },
    "card_condition": {
        "active": NP_("card_condition", "an active card"),
        "lost": NP_("card_condition", "reported lost"),
        "blocked": NP_("card_condition", "blocked"),
        "replaced": NP_("card_condition", "replaced by a new card"),
    },
    "hold_status": {
        "held": NP_("hold_status", "still held"),
        "captured": NP_("hold_status", "captured"),
        "voided": NP_("hold_status", "cancelled"),
        "expired": NP_("hold_status", "expired"),
    },
    "offer_problem": {
        "rate": NP_("offer_problem", "the discount rate must be between 0.01%% and 100%%"),
        "max_discount": NP_("offer_problem", "the maximum discount must be at least 1 point"),
        "min_purchase": NP_("offer_problem", "the minimum purchase cannot be below 0 won"),
        "hours_pair": NP_("offer_problem", "give both the start and the end of the hours, or neither"),
        "hours_range": NP_("offer_problem", "the hours must lie within 00:00–24:00, the start before the end"),
        "weekday": NP_("offer_problem", "choose the days from Monday to Sunday"),
        "max_share": NP_("offer_problem", "the share points may pay must be between 0.01%% and 100%%"),
    },
    "json_problem": {
        "nested": NP_("json_problem", "it is nested too deeply"),
        "encoding": NP_("json_problem", "it is not UTF-8 text"),
        "syntax": NP_("json_problem", "it is not valid JSON (check the brackets, quotes and numbers)"),
    },
    "target_type": {
        "campaign": NP_("target_type", "campaign"),
        "card": NP_("target_type", "card"),
        "cause": NP_("target_type", "cause"),
        "claim": NP_("target_type", "hours claim"),
        "claim_import": NP_("target_type", "claims file"),
        "donation": NP_("target_type", "donation"),
        "merchant": NP_("target_type", "partner shop"),
        "organisation": NP_("target_type", "organisation"),
        "terminal": NP_("target_type", "shop terminal"),
        "user": NP_("target_type", "user"),
        "volunteer": NP_("target_type", "volunteer"),
        "settlement": NP_("target_type", "settlement"),
        "offer": NP_("target_type", "offer"),
        "rule_set": NP_("target_type", "rule set"),
        "tiers": NP_("target_type", "card tiers"),
    },
    "tier_reason": {
        "hours_approved": NP_("tier_reason", "hours approved"),
        "hours_reached": NP_("tier_reason", "hours approved"),
        "hours_reversed": NP_("tier_reason", "hours reversed"),
        "yearly_review": NP_("tier_reason", "yearly review"),
        "keep_condition_missed": NP_("tier_reason", "yearly condition missed"),
    },
    "withheld_by": {
        "lifetime_cap": NP_("withheld_by", "the lifetime cap"),
        "yearly_cap": NP_("withheld_by", "the yearly cap"),
        "previous_year_hours": NP_("withheld_by", "too few hours the previous year"),
    },
}


def label(group: str, value: str | None, language: str | None) -> str:
    """Return what a value of a group (a card status, a claim state, an entry kind...) is called in a language."""
    if value is None:
        return ""
    marked = LABELS.get(group, {}).get(str(value))
    if marked is None:
        return str(value)
    return translate_in_context(language, *marked)
