"""The approval queue: filter claims, approve many at once, reject or reverse one with a reason."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request

from admin.console import forms
from admin.console.i18n import N_, NP_, _, console_language, number
from admin.console.navigation import redirect_back
from mileage.claims import review, submission
from mileage.claims.queue import list_claims
from mileage.claims.rules import ClaimPolicy
from mileage.errors import ClaimNotFound
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import ClaimState
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


@blueprint.get("/")
def queue():
    """List claims (those waiting for review unless filtered otherwise), newest first."""
    session = get_session()
    filters = _queue_filters()
    # The queue is for review: without a state chosen it shows what waits.
    state = filters["state"] if "state" in request.args else str(ClaimState.SUBMITTED)
    page = list_claims(
        session,
        state=state or None,
        organisation_id=filters["organisation_id"],
        volunteer_id=filters["volunteer_id"],
        category=filters["category"] or None,
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        limit=QUEUE_PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
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
    )


@blueprint.post("/approve")
def approve():
    """Approve the selected claims, each on its own; show what went through and why the others did not."""
    claim_ids = forms.ids("claim_id", label=N_("claims to approve"))
    if not claim_ids:
        raise forms.FormInvalid(field=_("claims to approve"))
    session = get_session()
    result = review.approve_claims(session, claim_ids, actor=current_actor(), policy=_policy())
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
        total_points=sum(claim.points or 0 for claim in result.approved),
        format_clock_time=submission.format_clock_time,
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
