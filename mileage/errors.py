"""Domain errors. They carry a stable machine-readable code and parameters, never HTTP statuses.

Each class declares its user-facing sentence once, as an English msgid marked for the catalogue:
`text = N_("... %(name)s ...")`; the Korean (and any other language) is in
mileage/translations/<lang>/LC_MESSAGES/messages.po. A parameter that names a state is listed in
`labelled_params` and shown by its name in the catalogue, never raw; whole numbers are grouped for the
locale (docs/i18n.md). The web layer maps each family (not found, conflict, rule violation, ...) to a
status in one place.
"""

from __future__ import annotations

from datetime import date

from mileage import i18n, labels
from mileage.i18n import N_


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"
    text = N_("The request could not be processed.")
    # True when the work done before the error must still be committed (e.g. counting a wrong PIN).
    keeps_changes = False
    # True when the answer says nothing happened and asking again may succeed (a conflict, a limit,
    # a credential to renew). Every other refusal is final: it is an idempotency key's only answer.
    invites_retry = False

    def __init__(self, **params):
        super().__init__(f"{self.code} {params}" if params else self.code)
        self.params = params

    # Parameters that name a state or a problem, by the label group that names their values (mileage/labels.py).
    labelled_params: dict[str, str] = {}

    def shown_params(self, language: str | None) -> dict[str, str]:
        """Return the parameters as the sentence shows them: states by name, numbers grouped, days written out."""
        shown = {}
        for name, value in self.params.items():
            group = self.labelled_params.get(name)
            if group is not None:
                shown[name] = labels.label(group, value, language)
            elif isinstance(value, bool):
                shown[name] = str(value)
            elif isinstance(value, int):
                shown[name] = i18n.format_number(value, language)
            elif isinstance(value, date):
                shown[name] = i18n.format_day(value, language)
            else:
                shown[name] = value
        return shown

    def message(self, language: str | None = None) -> str:
        """Return the user-facing sentence in a language (Korean by default)."""
        try:
            return i18n.translate(language, self.text, **self.shown_params(language))
        except (KeyError, ValueError, TypeError):
            # A caller left out a parameter: the family sentence is better than none.
            for cls in type(self).__mro__[1:]:
                if issubclass(cls, DomainError) and "%(" not in cls.text:
                    return i18n.translate(language, cls.text)
            return i18n.translate(language, DomainError.text)


# --- families -------------------------------------------------------------------------------

class NotFound(DomainError):
    """Something the caller named does not exist (or is not theirs to see)."""

    code = "not_found"
    text = N_("Not found.")


class Conflict(DomainError):
    """The request is valid but the current state forbids it."""

    code = "conflict"
    text = N_("The current state does not allow this.")


class RuleViolation(DomainError):
    """The request breaks a programme rule (policy, limits, formats)."""

    code = "rule_violation"
    text = N_("The request breaks a programme rule.")


class NotAllowed(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"
    text = N_("You are not allowed to do this.")


class NotAuthenticated(DomainError):
    """The caller did not prove who they are."""

    code = "unauthenticated"
    text = N_("Authentication is required.")
    invites_retry = True


class TooManyAttempts(DomainError):
    """Too many failed attempts; the caller must wait."""

    code = "too_many_attempts"
    text = N_("Too many attempts. Try again later.")
    invites_retry = True


class TransactionConflict(DomainError):
    """A concurrent transaction got there first; running the whole unit again is safe."""

    code = "transaction_conflict"
    text = N_("A concurrent request got there first. Try again.")
    invites_retry = True


# --- ledger ---------------------------------------------------------------------------------

class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    text = N_("Insufficient mileage balance (%(available)s points available).")


class UnbalancedEntry(RuleViolation):
    code = "unbalanced_entry"
    text = N_("The journal entry does not sum to zero.")


class InvalidAmount(RuleViolation):
    code = "invalid_amount"
    text = N_("Points must be a non-zero whole number.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    text = N_("This Idempotency-Key was already used for a different request.")


class EntryAlreadyReversed(Conflict):
    code = "entry_already_reversed"
    text = N_("This entry has already been reversed.")


class AccountNotFound(NotFound):
    code = "account_not_found"
    text = N_("Account not found.")


class EntryNotFound(NotFound):
    code = "entry_not_found"
    text = N_("Journal entry not found.")


class InvalidCursor(RuleViolation):
    code = "invalid_cursor"
    text = N_("The page cursor is not valid.")


# --- volunteers and cards -------------------------------------------------------------------

class VolunteerNotFound(NotFound):
    code = "volunteer_not_found"
    text = N_("Volunteer not found.")


class CardNotFound(NotFound):
    code = "card_not_found"
    text = N_("Card not found.")


class VolunteerHasActiveCard(Conflict):
    code = "volunteer_has_active_card"
    text = N_("The volunteer already has an active card.")


class VolunteerHasNoCard(Conflict):
    code = "volunteer_has_no_card"
    text = N_("The volunteer has no card.")


class VolunteerInactive(Conflict):
    code = "volunteer_inactive"
    text = N_("The volunteer is not active.")


class CardNotActive(Conflict):
    code = "card_not_active"
    text = N_("This card is %(status)s and cannot be used. Use another card, or ask the volunteer centre for help.")
    labelled_params = {'status': 'card_condition'}


class CardStatusTransitionRefused(Conflict):
    code = "card_status_transition_refused"
    text = N_(
        "A card that is %(current)s cannot be changed to %(target)s. Reload the page to see the card as it is now."
    )
    labelled_params = {'current': 'card_condition', 'target': 'card_status'}


class InvalidPinFormat(RuleViolation):
    code = "invalid_pin_format"
    text = N_("A PIN must be 4 to 6 digits.")


class PinNotSet(Conflict):
    code = "pin_not_set"
    text = N_("No PIN has been set for this card.")


class WrongPin(NotAllowed):
    """The card's PIN is wrong: the caller is signed in but may not use this card (403, never 401)."""

    code = "wrong_pin"
    text = N_("Wrong PIN (%(remaining)s attempts left).")
    keeps_changes = True
    # The attempt was counted: a retry with the same key must not count it again.
    invites_retry = False


class CardPinLocked(Conflict):
    code = "card_pin_locked"
    text = N_("The card is locked after repeated wrong PINs. Contact the volunteer centre.")
    keeps_changes = True


class InvalidCardNumber(RuleViolation):
    code = "invalid_card_number"
    text = N_("The card number is not valid.")


# --- organisations and claims ---------------------------------------------------------------

class OrganisationNotFound(NotFound):
    code = "organisation_not_found"
    text = N_("Organisation not found.")


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    text = N_("Hours claim not found.")


class ClaimAlreadyReviewed(Conflict):
    code = "claim_already_reviewed"
    text = N_("This claim has already been reviewed: it is %(state)s. Reload the list to see where it is now.")
    labelled_params = {'state': 'claim_state'}


class ClaimBatchNotFound(NotFound):
    code = "claim_batch_not_found"
    text = N_("Approval batch not found.")


class ClaimBatchAlreadyUndone(Conflict):
    code = "claim_batch_already_undone"
    text = N_("This approval batch has already been undone.")


class ClaimBatchUndoExpired(Conflict):
    code = "claim_batch_undo_expired"
    text = N_(
        "An approval batch can be undone as a whole for %(minutes)s minutes only. Reverse the claims one by one."
    )


class ClaimNotApproved(Conflict):
    code = "claim_not_approved"
    text = N_("Only an approved claim can be reversed; this one is %(state)s.")
    labelled_params = {'state': 'claim_state'}


class ClaimInvalidTimes(RuleViolation):
    code = "claim_invalid_times"
    text = N_("The end time must be after the start time, within the same day.")


class ClaimInFuture(RuleViolation):
    code = "claim_in_future"
    text = N_("Hours in the future cannot be claimed.")


class ClaimOutsideWindow(RuleViolation):
    code = "claim_outside_window"
    text = N_("Hours older than %(window_days)s days cannot be claimed.")


class ClaimExceedsDailyLimit(RuleViolation):
    code = "claim_exceeds_daily_limit"
    text = N_("This exceeds the daily limit of %(max_hours)s hours (%(already_minutes)s minutes already claimed).")


class ClaimOverlaps(RuleViolation):
    code = "claim_overlaps"
    text = N_("Another claim of this volunteer overlaps this time.")


class RejectionReasonRequired(RuleViolation):
    code = "rejection_reason_required"
    text = N_("A reason is required to reject a claim.")


# --- users ----------------------------------------------------------------------------------

class UserNotFound(NotFound):
    code = "user_not_found"
    text = N_("User not found.")


class UsernameTaken(Conflict):
    code = "username_taken"
    text = N_("This username is already taken.")


class InvalidRole(RuleViolation):
    code = "invalid_role"
    text = N_("This role does not exist. Choose one of the roles offered.")


class WeakPassword(RuleViolation):
    code = "weak_password"
    text = N_("A password must have at least %(min_length)s characters.")


class InvalidUsername(RuleViolation):
    code = "invalid_username"
    text = N_(
        "A username must have 3 to 32 characters: lowercase letters, digits, \".\", \"_\" and \"-\", "
        "starting with a letter or a digit."
    )


class UserLinkRequired(RuleViolation):
    code = "user_link_required"
    text = N_("A %(role)s user needs %(link)s.")
    labelled_params = {"role": "role", "link": "user_link"}


class UserLinkNotAllowed(RuleViolation):
    code = "user_link_not_allowed"
    text = N_("A %(role)s user cannot be linked to an organisation or a volunteer.")
    labelled_params = {"role": "role"}


class VolunteerAlreadyHasLogin(Conflict):
    code = "volunteer_already_has_login"
    text = N_("This volunteer already has a login.")


class LastActiveAdmin(Conflict):
    code = "last_active_admin"
    text = N_("The last active admin cannot be disabled or given another role.")


class CannotChangeOwnAccount(NotAllowed):
    code = "cannot_change_own_account"
    text = N_("You cannot disable your own account or change your own role.")


class UserAlreadyDisabled(Conflict):
    code = "user_already_disabled"
    text = N_("This user is already disabled.")


class PasswordChangeRequired(NotAllowed):
    code = "password_change_required"
    text = N_("Your password was reset. Choose a new password, then sign in.")


class PasswordUnchanged(RuleViolation):
    code = "password_unchanged"
    text = N_("The new password must differ from the current one.")


# --- sign-in and tokens ---------------------------------------------------------------------

class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    text = N_("Wrong username or password.")


class ConsoleNotAllowed(NotAllowed):
    code = "console_not_allowed"
    text = N_("Only staff, admins and auditors may use the console.")


class TokenMissing(NotAuthenticated):
    code = "token_missing"
    text = N_("Authentication is required (no Authorization: Bearer token).")


class TokenExpired(NotAuthenticated):
    code = "token_expired"
    text = N_("The token has expired. Sign in again.")


class TokenInvalid(NotAuthenticated):
    code = "token_invalid"
    text = N_("The token is not valid.")


class TokenRevoked(NotAuthenticated):
    code = "token_revoked"
    text = N_("The token has been revoked. Sign in again.")


class RoleNotAllowed(NotAllowed):
    code = "role_not_allowed"
    text = N_("Your role may not use this.")
    # About the caller, not the operation: checked before anything is done, and never stored.
    invites_retry = True


class NotOwner(NotAllowed):
    code = "not_owner"
    text = N_("You may only act on what belongs to you.")


class IdempotencyKeyRequired(RuleViolation):
    code = "idempotency_key_required"
    text = N_("This request needs an Idempotency-Key header.")


class IdempotencyKeyInvalid(RuleViolation):
    code = "idempotency_key_invalid"
    text = N_("An Idempotency-Key is 1-200 characters of letters, digits, -, _, . and :.")


class RefreshTokenReused(TokenRevoked):
    """A rotated refresh token came back: it was copied, so its whole sign-in is revoked."""

    code = "refresh_token_reused"
    text = N_("This token was already used. You have been signed out for safety; sign in again.")
    keeps_changes = True


# --- QR cards -------------------------------------------------------------------------------

class QrTokenExpired(Conflict):
    code = "qr_token_expired"
    text = N_("The QR code has expired. Show a fresh one.")


class QrTokenInvalid(RuleViolation):
    code = "qr_token_invalid"
    text = N_("This QR code is not valid.")


class QrTokenReplayed(Conflict):
    code = "qr_token_replayed"
    text = N_("This QR code has already been used. Show a fresh one.")


class QrTokenCardMismatch(Conflict):
    code = "qr_token_card_mismatch"
    text = N_("This QR code belongs to another card.")


# --- cards awaiting reissue -----------------------------------------------------------------

class VolunteerCardAwaitsReissue(VolunteerHasActiveCard):
    code = "volunteer_card_awaits_reissue"
    text = N_(
        "The volunteer's card (%(status)s) still holds the points. Reissue that card instead of issuing a new one."
    )
    labelled_params = {'status': 'card_status'}


# --- the volunteer's own card ---------------------------------------------------------------

class VolunteerNotLinked(NotAllowed):
    code = "volunteer_not_linked"
    text = N_("This account is not linked to a volunteer. Contact the volunteer centre.")


class SelfSubmissionDisabled(NotAllowed):
    code = "self_submission_disabled"
    text = N_("Volunteers may not submit their own hours. Ask the organisation to submit them.")


class CurrentPinRequired(RuleViolation):
    code = "current_pin_required"
    text = N_("Enter the current PIN to change it.")


# --- staff hours desk: volunteers, cards, organisations, claim imports ----------------------

class Portal1365IdTaken(Conflict):
    code = "portal_1365_id_taken"
    text = N_("This 1365 portal id already belongs to another volunteer.")


class OrganisationNameTaken(Conflict):
    code = "organisation_name_taken"
    text = N_("An organisation with this name already exists.")


class CardPinNotLocked(Conflict):
    code = "card_pin_not_locked"
    text = N_("The card's PIN is not locked.")


class ClaimVolunteerRequired(RuleViolation):
    code = "claim_volunteer_required"
    text = N_("Give a volunteer id or a card number.")


class ClaimVolunteerMismatch(RuleViolation):
    code = "claim_volunteer_mismatch"
    text = N_("The card number does not belong to this volunteer.")


class VolunteerNameMismatch(RuleViolation):
    code = "volunteer_name_mismatch"
    text = N_("The name does not match the volunteer.")


class ClaimOrganisationRequired(RuleViolation):
    code = "claim_organisation_required"
    text = N_("Give an organisation id.")


class ImportFileUnreadable(RuleViolation):
    code = "import_file_unreadable"
    text = N_("The CSV file cannot be read. Upload a CSV file saved as UTF-8 or CP949 (EUC-KR).")


class ImportFileEmpty(RuleViolation):
    code = "import_file_empty"
    text = N_("The CSV file has no rows of hours.")


class ImportColumnsMissing(RuleViolation):
    code = "import_columns_missing"
    text = N_("The CSV file lacks required columns: %(columns)s")


class ImportTooManyRows(RuleViolation):
    code = "import_too_many_rows"
    text = N_("At most %(max_rows)s rows can be uploaded at once.")


class ImportValueMissing(RuleViolation):
    code = "import_value_missing"
    text = N_("The '%(column)s' value is empty.")


class ImportValueInvalid(RuleViolation):
    code = "import_value_invalid"
    text = N_("The '%(column)s' value cannot be read: %(value)s")


class ImportFileTooLarge(RuleViolation):
    code = "import_file_too_large"
    text = N_("The file is too large. Files up to %(max_megabytes)s MB can be uploaded.")


class ImportWorkbookUnreadable(RuleViolation):
    code = "import_workbook_unreadable"
    text = N_("The Excel file cannot be read. Upload a file saved as .xlsx, or a CSV file.")


class ImportVolunteerUnidentified(RuleViolation):
    code = "import_volunteer_unidentified"
    text = N_("The volunteer is not identified. Give a card number, a 1365 id, or a name and a phone number.")


class Portal1365IdUnknown(NotFound):
    code = "portal_1365_id_unknown"
    text = N_("No volunteer is registered with the 1365 id '%(portal_1365_id)s'.")


class VolunteerByNamePhoneUnknown(NotFound):
    code = "volunteer_name_phone_unknown"
    text = N_("No volunteer has this name and phone number.")


class VolunteerByNamePhoneAmbiguous(Conflict):
    code = "volunteer_name_phone_ambiguous"
    text = N_("Several volunteers have this name and phone number. Use the card number or the 1365 id.")


class CardNumberCellLostDigits(RuleViolation):
    code = "card_number_cell_lost_digits"
    text = N_(
        "The card number was stored in a number cell and lost digits (%(value)s). "
        "Format the column as text and type it again."
    )


class ClaimImportNotFound(NotFound):
    code = "claim_import_not_found"
    text = N_("The uploaded file was not found.")


# --- check-in at the volunteering site --------------------------------------------------------

class SiteCategoryRequired(RuleViolation):
    code = "site_category_required"
    text = N_("Choose the kind of volunteering before checking in.")


class SiteVisitOpenElsewhere(Conflict):
    code = "site_visit_open_elsewhere"
    text = N_(
        "This volunteer is still checked in at another organisation (%(organisation)s). Ask them to check out there."
    )


class SiteVisitTooShort(Conflict):
    code = "site_visit_too_short"
    text = N_("Just checked in. Scan again to check out after at least a minute.")


class SiteVisitNotFound(NotFound):
    code = "site_visit_not_found"
    text = N_("The visit was not found.")


class SiteVisitNotCorrectable(Conflict):
    code = "site_visit_not_correctable"
    text = N_("These hours have already been reviewed by staff and cannot be corrected.")


class SiteVisitStillOpen(Conflict):
    code = "site_visit_still_open"
    text = N_(
        "The volunteer has not checked out yet. Scan to check out today, or give the times once the day is over."
    )


class SiteDeviceNotFound(NotFound):
    code = "site_device_not_found"
    text = N_("The site device was not found.")


class InvalidSiteDeviceCredentials(NotAuthenticated):
    code = "invalid_site_device_credentials"
    text = N_("The site device id or secret is wrong.")


class SiteDeviceRevoked(NotAuthenticated):
    code = "site_device_revoked"
    text = N_("This site device has been revoked. Ask the coordinator.")
    invites_retry = False


# --- certificates of hours ----------------------------------------------------------------------

class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    text = N_("The certificate was not found.")


class CertificatePeriodInvalid(RuleViolation):
    code = "certificate_period_invalid"
    text = N_(
        "The certificate period is not valid: it starts after it ends, ends after today, or spans more than 10 years."
    )


class CertificateHasNoHours(RuleViolation):
    code = "certificate_has_no_hours"
    text = N_("There are no approved hours in this period, so no certificate can be issued.")


class CertificateAlreadyRevoked(Conflict):
    code = "certificate_already_revoked"
    text = N_("This certificate was already revoked or superseded.")


class CertificatePdfUnavailable(Conflict):
    code = "certificate_pdf_unavailable"
    text = N_("This server cannot make PDFs. Choose 'Save as PDF' in the print dialog instead.")


class CertificateLinkInvalid(NotAuthenticated):
    code = "certificate_link_invalid"
    text = N_("The certificate print link has expired or is not valid. Open it again from where it was issued.")
    invites_retry = False


# --- partner shops ----------------------------------------------------------------------------

class MerchantNotFound(NotFound):
    code = "merchant_not_found"
    text = N_("Partner shop not found.")


class InvalidBusinessNumber(RuleViolation):
    code = "invalid_business_number"
    text = N_("The business registration number is not valid (10 digits with a valid check digit).")


class BusinessNumberTaken(Conflict):
    code = "business_number_taken"
    text = N_("This business registration number is already registered.")


class MerchantStatusTransitionRefused(Conflict):
    code = "merchant_status_transition_refused"
    text = N_("A partner shop that is %(current)s cannot be changed to %(target)s.")
    labelled_params = {'current': 'merchant_status', 'target': 'merchant_status'}


class MerchantNotActive(NotAllowed):
    code = "merchant_not_active"
    text = N_("This partner shop is not active yet. Contact the volunteer centre.")


class MerchantSuspended(MerchantNotActive):
    code = "merchant_suspended"
    text = N_("This partner shop has been suspended. Contact the volunteer centre.")


class InvalidOffer(RuleViolation):
    code = "invalid_offer"
    text = N_("The offer is not valid: %(reason)s")
    labelled_params = {'reason': 'offer_problem'}


class MerchantHasNoOffer(Conflict):
    code = "merchant_has_no_offer"
    text = N_("This partner shop has no discount offer.")


class OfferNotAvailableNow(RuleViolation):
    code = "offer_not_available_now"
    text = N_("The mileage discount does not apply at this time.")


class TerminalNotFound(NotFound):
    code = "terminal_not_found"
    text = N_("Terminal not found.")


class InvalidTerminalCredentials(NotAuthenticated):
    code = "invalid_terminal_credentials"
    text = N_("Wrong terminal key id or secret.")


class TerminalRevoked(NotAuthenticated):
    code = "terminal_revoked"
    text = N_("This terminal has been revoked.")


class NoBrowserSession(RuleViolation):
    """A page asked to renew a sign-in this browser does not have (no refresh cookie)."""

    code = "no_browser_session"
    text = N_("This device is not signed in. Sign in with your username and password.")


class NoTerminalSession(RuleViolation):
    """The counter page asked to renew a session this browser does not have (nothing presented)."""

    code = "no_terminal_session"
    text = N_("This device has no counter sign-in. Sign in with the terminal ID and secret.")


class TerminalAlreadyRevoked(Conflict):
    code = "terminal_already_revoked"
    text = N_("This terminal has already been revoked.")


# --- redemptions, holds and refunds ---------------------------------------------------------

class BelowMinimumPurchase(RuleViolation):
    code = "below_minimum_purchase"
    text = N_("The purchase is below the minimum of %(min_purchase)s won.")


class NoDiscountForPurchase(RuleViolation):
    code = "no_discount_for_purchase"
    text = N_("No discount applies to this purchase.")


class PinRequired(RuleViolation):
    code = "pin_required"
    text = N_("A printed card needs its PIN.")


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"
    text = N_("Redemption not found.")


class RedemptionOfAnotherMerchant(NotAllowed):
    code = "redemption_of_another_merchant"
    text = N_("Only the shop that made the sale can refund it.")


class RefundExceedsRemaining(Conflict):
    code = "refund_exceeds_remaining"
    text = N_("The refund exceeds the %(remaining)s points left to refund.")


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"
    text = N_("Refunds are only possible within %(window_days)s days of the sale.")


class HoldNotFound(NotFound):
    code = "hold_not_found"
    text = N_("Hold not found.")


class HoldOfAnotherMerchant(NotAllowed):
    code = "hold_of_another_merchant"
    text = N_("This hold belongs to another shop.")


class HoldExpired(Conflict):
    code = "hold_expired"
    text = N_("The hold has expired and cannot be captured. Authorize again.")


class HoldNotOpen(Conflict):
    code = "hold_not_open"
    text = N_("This hold is already %(status)s, so it cannot be changed. Start a new sale if needed.")
    labelled_params = {'status': 'hold_status'}


class CaptureExceedsHold(Conflict):
    code = "capture_exceeds_hold"
    text = N_("Cannot capture more than the %(held)s points held.")


# --- settlement -----------------------------------------------------------------------------

class InvalidSettlementRange(RuleViolation):
    code = "invalid_settlement_range"
    text = N_("The settlement range is not valid (start on or before end, at most %(max_days)s days).")


class SettlementPeriodNotOver(RuleViolation):
    code = "settlement_period_not_over"
    text = N_("A period can only be closed after it has ended.")


class SettlementPeriodAlreadyClosed(Conflict):
    code = "settlement_period_already_closed"
    text = N_("This settlement period is already closed.")


# --- donations, campaigns, disbursements ----------------------------------------------------

class CauseNotFound(NotFound):
    code = "cause_not_found"
    text = N_("Donation cause not found.")


class CauseNameTaken(Conflict):
    code = "cause_name_taken"
    text = N_("A cause with this name already exists: %(name)s")


class CauseClosed(Conflict):
    code = "cause_closed"
    text = N_("This cause is closed to donations: %(name)s")


class CauseStatusUnchanged(Conflict):
    code = "cause_status_unchanged"
    text = N_("The cause is already %(status)s.")
    labelled_params = {'status': 'cause_status'}


class DonationNotFound(NotFound):
    code = "donation_not_found"
    text = N_("Donation not found.")


class ConsentWitnessRequired(RuleViolation):
    code = "consent_witness_required"
    text = N_("Verbal consent needs a witness (a name or a staff user).")


class ConsentNoteRequired(RuleViolation):
    code = "consent_note_required"
    text = N_("Describe how consent was collected (for example, signed year-end campaign forms).")


class DisbursementExceedsBalance(Conflict):
    code = "disbursement_exceeds_balance"
    text = N_("Cannot disburse more than the cause holds (%(available)s points; %(requested)s requested).")


class DisbursementMemoRequired(RuleViolation):
    code = "disbursement_memo_required"
    text = N_("A memo describing the hand-over is required.")


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    text = N_("Donation campaign not found.")


class CampaignSelectsNobody(RuleViolation):
    code = "campaign_selects_nobody"
    text = N_("No volunteer matches the campaign's filter.")


class CampaignTooLarge(RuleViolation):
    code = "campaign_too_large"
    text = N_("A campaign may hold at most %(max_volunteers)s volunteers (%(selected)s selected).")


# --- expiry ---------------------------------------------------------------------------------

class ExpiryDateInFuture(RuleViolation):
    code = "expiry_date_in_future"
    text = N_("Points cannot be expired as of a future date (%(as_of)s).")


# --- reports --------------------------------------------------------------------------------

class InvalidReportPeriod(RuleViolation):
    code = "invalid_report_period"
    text = N_("The report period is not valid (start on or before end, at most %(max_months)s months).")


# --- versions of a record (If-Match) --------------------------------------------------------

class StaleVersion(Conflict):
    """If-Match names a version of the record that is no longer current."""

    code = "precondition_failed"
    text = N_("Someone else changed this first. Load it again, then edit.")


class VersionRequired(RuleViolation):
    """This server requires If-Match on every change of a record."""

    code = "precondition_required"
    text = N_("This request needs an If-Match header: send the ETag you read.")


# --- programme rules, tiers, benefits, donation limits ---------------------------------------

class InvalidRuleSet(RuleViolation):
    code = "invalid_rule_set"
    text = N_("The rule set is not valid (%(field)s).")


class RuleSetNotFound(NotFound):
    code = "rule_set_not_found"
    text = N_("No such rule set version.")


class RulePresetNotFound(NotFound):
    code = "rule_preset_not_found"
    text = N_("There is no rule preset \"%(preset)s\".")


class RuleSetStartsInPast(RuleViolation):
    code = "rule_set_starts_in_past"
    text = N_("A new rule set can take effect from today (%(today)s) on, not before.")


class RuleSetRewritesPaidClaims(Conflict):
    code = "rule_set_rewrites_paid_claims"
    text = N_("Hours up to %(paid_through)s have already been paid; the new rules must start after that day.")


class ClaimBelowMinimumAge(RuleViolation):
    code = "claim_below_minimum_age"
    text = N_("Mileage is earned from the age of %(minimum_age)s.")


class InvalidTierBenefit(RuleViolation):
    code = "invalid_tier_benefit"
    text = N_("The tier benefit is not valid (%(field)s).")


class PartialPaymentNotAllowed(RuleViolation):
    code = "partial_payment_not_allowed"
    text = N_("This shop does not accept partial payment with points (%(required)s points are needed).")


class DonationYearlyCapReached(RuleViolation):
    code = "donation_yearly_cap_reached"
    text = N_("This cause accepts at most %(cap)s points a year from one volunteer (%(remaining)s left this year).")


class DonationTargetReached(Conflict):
    code = "donation_target_reached"
    text = N_("The campaign target of %(target)s points is reached (%(remaining)s points left).")


# --- request bodies -------------------------------------------------------------------------

class MalformedJson(DomainError):
    """A body that is not JSON we accept; raised before any view parses it."""

    code = "malformed_json"
    text = N_("The request body cannot be read: %(reason)s")
    labelled_params = {'reason': 'json_problem'}


def all_error_classes(base: type[DomainError] = DomainError) -> list[type[DomainError]]:
    """Return the error registry: a class and every class below it."""
    found = [base]
    for subclass in base.__subclasses__():
        found += all_error_classes(subclass)
    return found


def error_class(code: str) -> type[DomainError]:
    """Return the domain error class with this code (the base class when none has it)."""
    return _ERRORS_BY_CODE.get(code, DomainError)


_ERRORS_BY_CODE = {cls.code: cls for cls in all_error_classes()}
