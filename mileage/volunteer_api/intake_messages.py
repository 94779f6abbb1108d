"""The strings of /m's own-claim and certificate sections (kept apart from the rest of the page): key → msgid."""

from mileage.i18n import N_

INTAKE_MESSAGES = {
    "claim_form_heading": N_("Claim hours yourself"),
    "claim_form_hint": N_("Give the organisation, the day and the times; points arrive once staff approve."),
    "claim_form_disabled": N_("Volunteers cannot submit their own hours at the moment. Ask the organisation."),
    "organisation": N_("Organisation"),
    "date": N_("Date"),
    "start": N_("Start"),
    "end": N_("End"),
    "category": N_("Category"),
    "note": N_("Note (optional)"),
    "submit_claim": N_("Submit"),
    "claim_submitted": N_("Submitted; it waits for approval (claim #{id})."),
    "certificate_heading": N_("Certificate of hours"),
    "certificate_hint": N_("Choose a period to make a certificate of your approved hours; print it or save it as PDF."),
    "from": N_("From"),
    "to": N_("To"),
    "issue_certificate": N_("Make the certificate"),
    "certificate_issued": N_("Certificate {serial} is ready."),
    "open_certificate": N_("Open the certificate"),
    "signed_out": N_("Please sign in."),
}
