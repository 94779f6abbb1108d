"""The approval queue: filter claims, approve many at once, reject or reverse one with a reason."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import N_, NP_, _, console_language, number
from admin.console.navigation import BACK_FIELD, redirect_back, safe_console_path
from mileage.claims import batches, review, submission
from mileage.claims.queue import (
    MAX_MATCHING_CLAIMS,
    ClaimFilter,
    claim_history,
    list_claims,
    list_matching_claims,
)
from mileage.claims.rules import ClaimPolicy, policy_on
from mileage.errors import ClaimNotFound
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import Claim, ClaimState
from mileage.people import organisations

blueprint = Blueprint("claims", __name__, url_prefix="/claims")

QUEUE_PAGE_SIZE = 50
# Choices offered for the category filter and the reject reasons; both fields also take free text.
COMMON_CATEGORIES = ("복지", "환경", "교육", "보건의료", "문화체육", "재난안전", "행정보조")
COMMON_REJECT_REASONS = (
    "봉사 시간이 기관 기록과 다릅니다.",
    "같은 활동이 이미 신청되었습니다.",
    "활동 확인서가 없습니다.",
    "봉사 활동으로 인정되지 않는 활동입니다.",
)


def _policy() -> ClaimPolicy | None:
    return current_app.config["CLAIM_POLICY"]


def _queue_filters() -> dict:
    """Return the queue's filters from the query string."""
    return {
        "state": forms.choice(
            "state", [str(state) for state in ClaimState], label=N_("State"), required=False, where="args"
        ),
        "organisation_id": forms.integer("organisation_id", label=N_("Organisation"), minimum=1, where="args"),
        "date_from": forms.day("date_from", label=NP_("common.date_from", "From"), where="args"),
        "date_to": forms.day("date_to", label=N_("To"), where="args"),
        "category": forms.text("category", label=NP_("claims.category", "Category"), where="args", max_length=50),
        "volunteer_id": forms.integer("volunteer_id", label=N_("Volunteer"), minimum=1, where="args"),
    }


def _claim_points(claim) -> int:
    if claim.points is not None:
        return claim.points
    # A waiting claim shows what the rule set of its day pays for its minutes (caps and bands apply at approval).
    return policy_on(get_session(), claim.work_date, _policy()).points_for(claim.end_minute - claim.start_minute)


def _claim_filter(filters: dict, state: str | None) -> ClaimFilter:
    """The queue's filter, with the state asked for, as the claim lists take it."""
    return ClaimFilter(
        state=state,
        organisation_id=filters["organisation_id"],
        volunteer_id=filters["volunteer_id"],
        category=filters["category"] or None,
        date_from=filters["date_from"],
        date_to=filters["date_to"],
    )


def _matching_waiting(session, filters: dict) -> list:
    """Return the waiting claims a queue filter matches (every page of it, not only the one shown)."""
    return list_matching_claims(session, _claim_filter(filters, str(ClaimState.SUBMITTED)))


@blueprint.get("/")
def queue():
    """List claims (those waiting for review unless filtered otherwise), newest first."""
    session = get_session()
    filters = _queue_filters()
    # The queue is for review: without a state chosen it shows what waits.
    state = filters["state"] if "state" in request.args else str(ClaimState.SUBMITTED)
    matching = _matching_waiting(session, filters) if state == str(ClaimState.SUBMITTED) else []
    page = list_claims(
        session, _claim_filter(filters, state or None), limit=QUEUE_PAGE_SIZE, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "console/claims/queue.html",
        page=page,
        filters=filters,
        state=state,
        states=[str(state) for state in ClaimState],
        organisations=organisations.list_organisations(session, limit=200).items,
        categories=COMMON_CATEGORIES,
        reject_reasons=COMMON_REJECT_REASONS,
        estimates=review.estimate_points(session, page.items, policy=_policy()),
        format_clock_time=submission.format_clock_time,
        matching_count=len(matching),
        matching_points=sum(_claim_points(claim) for claim in matching),
        matching_capped=len(matching) >= MAX_MATCHING_CLAIMS,
        filter_fields={name: value for name, value in request.args.items() if name not in ("cursor", "state")},
    )


@blueprint.post("/approve/review")
def review_approval():
    """Show what an approval would do (how many claims, how many points) and ask to confirm it.

    Either the ticked claims, or with scope=matching every waiting claim the queue's filter matches.
    The confirmation lists the claims by id, so what is approved is exactly what was shown.
    """
    session = get_session()
    if request.form.get("scope") == "matching":
        filters = {
            "organisation_id": forms.integer("organisation_id", label=N_("Organisation"), minimum=1),
            "date_from": forms.day("date_from", label=NP_("common.date_from", "From")),
            "date_to": forms.day("date_to", label=N_("To")),
            "category": forms.text("category", label=NP_("claims.category", "Category"), max_length=50),
            "volunteer_id": forms.integer("volunteer_id", label=N_("Volunteer"), minimum=1),
        }
        claims = _matching_waiting(session, filters)
    else:
        claim_ids = forms.ids("claim_id", label=N_("claims to approve"))
        claims = [claim for claim in (session.get(Claim, claim_id) for claim_id in claim_ids) if claim]
        claims = [claim for claim in claims if claim.state == ClaimState.SUBMITTED]
    if not claims:
        raise forms.FormInvalid(field=_("claims to approve"))
    return render_template(
        "console/claims/confirm.html",
        claims=claims,
        total_points=sum(_claim_points(claim) for claim in claims),
        points_of=_claim_points,
        format_clock_time=submission.format_clock_time,
    )


def _back_to_queue() -> str:
    return safe_console_path(request.form.get(BACK_FIELD)) or url_for("console.claims.queue")


@blueprint.post("/approve")
def approve():
    """Approve the selected claims, each on its own; show what went through and why the others did not."""
    claim_ids = forms.ids("claim_id", label=N_("claims to approve"))
    if not claim_ids:
        raise forms.FormInvalid(field=_("claims to approve"))
    session = get_session()
    result = batches.approve_batch(session, claim_ids, actor=current_actor(), policy=_policy())
    failures = []
    for claim_id, error in result.failed.items():
        try:
            claim = review.get_claim_in_scope(session, claim_id)
        except ClaimNotFound:
            claim = None
        failures.append((claim_id, claim, error.message(console_language())))
    return render_template(
        "console/claims/approved.html",
        approved=result.approved,
        failures=failures,
        total_points=result.total_points,
        batch=result.batch,
        undo_until=batches.undo_deadline(result.batch) if result.batch else None,
        back_to_queue=_back_to_queue(),
        format_clock_time=submission.format_clock_time,
    )


@blueprint.post("/batches/<int:batch_id>/undo")
def undo_batch(batch_id: int):
    """Undo a batch just approved: reverse each of its claims (audited), within the undo window."""
    outcome = batches.undo_batch(get_session(), batch_id, actor=current_actor())
    flash(
        _(
            "Batch undone: %(n)s reversed, %(recovered)s points recovered, %(unrecovered)s not recoverable, "
            "%(skipped)s skipped.",
            n=len(outcome.reversed), recovered=number(outcome.recovered_points),
            unrecovered=number(outcome.unrecovered_points), skipped=len(outcome.skipped),
        ),
        "success" if not outcome.skipped else "warning",
    )
    return redirect_back("console.claims.queue")


@blueprint.get("/<int:claim_id>")
def detail(claim_id: int):
    """Show one claim and its history: submitted, corrected, approved, rejected, reversed, and by whom."""
    session = get_session()
    claim = review.get_claim_in_scope(session, claim_id)
    return render_template(
        "console/claims/detail.html",
        claim=claim,
        history=claim_history(session, claim_id),
        points_of=_claim_points,
        format_clock_time=submission.format_clock_time,
        reject_reasons=COMMON_REJECT_REASONS,
    )


@blueprint.post("/<int:claim_id>/reject")
def reject(claim_id: int):
    """Reject one claim with the reason the volunteer will read."""
    claim = review.reject_claim(
        get_session(), claim_id, actor=current_actor(), reason=request.form.get("reason", "")
    )
    flash(_("Claim #%(id)s (%(name)s) rejected.", id=claim.id, name=claim.volunteer.name), "success")
    return redirect_back("console.claims.queue")


@blueprint.post("/<int:claim_id>/reverse")
def reverse(claim_id: int):
    """Take back an approved claim's points, as far as the card still holds them."""
    reason = forms.text("reason", label=N_("Reason for reversal"), required=True, max_length=500)
    claim = review.reverse_claim(get_session(), claim_id, actor=current_actor(), reason=reason)
    flash(
        _(
            "Claim #%(id)s reversed: %(recovered)s points recovered, %(unrecovered)s could not be.",
            id=claim.id, recovered=number(review.recovered_points(claim) or 0),
            unrecovered=number(claim.unrecovered_points or 0),
        ),
        "success",
    )
    return redirect_back("console.claims.queue")
