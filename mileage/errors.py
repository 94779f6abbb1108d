"""Domain errors. They carry a stable machine-readable code and parameters, never HTTP statuses.

Each class holds its user-facing sentence in Korean (`ko`, the default) and English (`en`).
The web layer maps each family (not found, conflict, rule violation, ...) to a status in one place.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"
    ko = '요청을 처리할 수 없습니다.'
    en = 'The request could not be processed.'
    # True when the work done before the error must still be committed (e.g. counting a wrong PIN).
    keeps_changes = False
    # True when the answer says nothing happened and asking again may succeed (a conflict, a limit,
    # a credential to renew). Every other refusal is final: it is an idempotency key's only answer.
    invites_retry = False

    def __init__(self, **params):
        super().__init__(f"{self.code} {params}" if params else self.code)
        self.params = params

    def message(self, language: str = "ko") -> str:
        """Return the user-facing sentence in the given language (Korean unless "en")."""
        template = self.en if language == "en" else self.ko
        try:
            return template.format(**self.params)
        except (KeyError, ValueError):
            # A caller left out a parameter: the family sentence is better than none.
            return (DomainError.en if language == "en" else DomainError.ko)


# --- families -------------------------------------------------------------------------------

class NotFound(DomainError):
    """Something the caller named does not exist (or is not theirs to see)."""

    code = "not_found"
    ko = '찾을 수 없습니다.'
    en = 'Not found.'


class Conflict(DomainError):
    """The request is valid but the current state forbids it."""

    code = "conflict"
    ko = '현재 상태에서는 처리할 수 없습니다.'
    en = 'The current state does not allow this.'


class RuleViolation(DomainError):
    """The request breaks a programme rule (policy, limits, formats)."""

    code = "rule_violation"
    ko = '규칙에 맞지 않는 요청입니다.'
    en = 'The request breaks a programme rule.'


class NotAllowed(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"
    ko = '이 작업을 할 권한이 없습니다.'
    en = 'You are not allowed to do this.'


class NotAuthenticated(DomainError):
    """The caller did not prove who they are."""

    code = "unauthenticated"
    ko = '로그인이 필요합니다.'
    en = 'Authentication is required.'
    invites_retry = True


class TooManyAttempts(DomainError):
    """Too many failed attempts; the caller must wait."""

    code = "too_many_attempts"
    ko = '시도 횟수가 너무 많습니다. 잠시 후 다시 시도하세요.'
    en = 'Too many attempts. Try again later.'
    invites_retry = True


class TransactionConflict(DomainError):
    """A concurrent transaction got there first; running the whole unit again is safe."""

    code = "transaction_conflict"
    ko = '동시에 처리 중인 요청과 충돌했습니다. 다시 시도하세요.'
    en = 'A concurrent request got there first. Try again.'
    invites_retry = True


# --- ledger ---------------------------------------------------------------------------------

class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    ko = '마일리지 잔액이 부족합니다. (잔액 {available:,}점)'
    en = 'Insufficient mileage balance ({available:,} points available).'


class UnbalancedEntry(RuleViolation):
    code = "unbalanced_entry"
    ko = '분개의 합계가 0이 아닙니다.'
    en = 'The journal entry does not sum to zero.'


class InvalidAmount(RuleViolation):
    code = "invalid_amount"
    ko = '포인트는 0이 아닌 정수여야 합니다.'
    en = 'Points must be a non-zero whole number.'


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    ko = '같은 Idempotency-Key가 다른 요청에 이미 사용되었습니다.'
    en = 'This Idempotency-Key was already used for a different request.'


class EntryAlreadyReversed(Conflict):
    code = "entry_already_reversed"
    ko = '이미 취소된 거래입니다.'
    en = 'This entry has already been reversed.'


class AccountNotFound(NotFound):
    code = "account_not_found"
    ko = '계정을 찾을 수 없습니다.'
    en = 'Account not found.'


class EntryNotFound(NotFound):
    code = "entry_not_found"
    ko = '거래를 찾을 수 없습니다.'
    en = 'Journal entry not found.'


class InvalidCursor(RuleViolation):
    code = "invalid_cursor"
    ko = '페이지 커서가 올바르지 않습니다.'
    en = 'The page cursor is not valid.'


# --- volunteers and cards -------------------------------------------------------------------

class VolunteerNotFound(NotFound):
    code = "volunteer_not_found"
    ko = '봉사자를 찾을 수 없습니다.'
    en = 'Volunteer not found.'


class CardNotFound(NotFound):
    code = "card_not_found"
    ko = '카드를 찾을 수 없습니다.'
    en = 'Card not found.'


class VolunteerHasActiveCard(Conflict):
    code = "volunteer_has_active_card"
    ko = '이미 사용 중인 카드가 있습니다.'
    en = 'The volunteer already has an active card.'


class VolunteerHasNoCard(Conflict):
    code = "volunteer_has_no_card"
    ko = '발급된 카드가 없습니다.'
    en = 'The volunteer has no card.'


class VolunteerInactive(Conflict):
    code = "volunteer_inactive"
    ko = '활동 중인 봉사자가 아닙니다.'
    en = 'The volunteer is not active.'


class CardNotActive(Conflict):
    code = "card_not_active"
    ko = '사용할 수 없는 카드입니다. (상태: {status})'
    en = 'The card cannot be used (status: {status}).'


class CardStatusTransitionRefused(Conflict):
    code = "card_status_transition_refused"
    ko = '카드 상태를 {current}에서 {target}(으)로 바꿀 수 없습니다.'
    en = 'A card cannot go from {current} to {target}.'


class InvalidPinFormat(RuleViolation):
    code = "invalid_pin_format"
    ko = 'PIN은 숫자 4~6자리여야 합니다.'
    en = 'A PIN must be 4 to 6 digits.'


class PinNotSet(Conflict):
    code = "pin_not_set"
    ko = '카드 PIN이 설정되지 않았습니다.'
    en = 'No PIN has been set for this card.'


class WrongPin(NotAuthenticated):
    code = "wrong_pin"
    ko = 'PIN이 틀렸습니다. (남은 시도 {remaining}회)'
    en = 'Wrong PIN ({remaining} attempts left).'
    keeps_changes = True
    # The attempt was counted: a retry with the same key must not count it again.
    invites_retry = False


class CardPinLocked(Conflict):
    code = "card_pin_locked"
    ko = 'PIN 오류가 반복되어 카드가 잠겼습니다. 자원봉사센터에 문의하세요.'
    en = 'The card is locked after repeated wrong PINs. Contact the volunteer centre.'
    keeps_changes = True


class InvalidCardNumber(RuleViolation):
    code = "invalid_card_number"
    ko = '카드 번호가 올바르지 않습니다.'
    en = 'The card number is not valid.'


# --- organisations and claims ---------------------------------------------------------------

class OrganisationNotFound(NotFound):
    code = "organisation_not_found"
    ko = '기관을 찾을 수 없습니다.'
    en = 'Organisation not found.'


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    ko = '봉사시간 신청을 찾을 수 없습니다.'
    en = 'Hours claim not found.'


class ClaimAlreadyReviewed(Conflict):
    code = "claim_already_reviewed"
    ko = '이미 처리된 신청입니다. (상태: {state})'
    en = 'The claim has already been reviewed (state: {state}).'


class ClaimBatchNotFound(NotFound):
    code = "claim_batch_not_found"
    ko = "일괄 승인 기록을 찾을 수 없습니다."
    en = "Approval batch not found."


class ClaimBatchAlreadyUndone(Conflict):
    code = "claim_batch_already_undone"
    ko = "이 일괄 승인은 이미 되돌렸습니다."
    en = "This approval batch has already been undone."


class ClaimBatchUndoExpired(Conflict):
    code = "claim_batch_undo_expired"
    ko = "일괄 승인은 {minutes}분 안에만 한꺼번에 되돌릴 수 있습니다. 신청마다 승인 취소하세요."
    en = "An approval batch can be undone as a whole for {minutes} minutes only. Reverse the claims one by one."


class ClaimNotApproved(Conflict):
    code = "claim_not_approved"
    ko = '승인된 신청만 취소할 수 있습니다. (상태: {state})'
    en = 'Only an approved claim can be reversed (state: {state}).'


class ClaimInvalidTimes(RuleViolation):
    code = "claim_invalid_times"
    ko = '종료 시각은 시작 시각보다 늦어야 하며 같은 날 안이어야 합니다.'
    en = 'The end time must be after the start time, within the same day.'


class ClaimInFuture(RuleViolation):
    code = "claim_in_future"
    ko = '미래의 봉사시간은 신청할 수 없습니다.'
    en = 'Hours in the future cannot be claimed.'


class ClaimOutsideWindow(RuleViolation):
    code = "claim_outside_window"
    ko = '{window_days}일이 지난 봉사시간은 신청할 수 없습니다.'
    en = 'Hours older than {window_days} days cannot be claimed.'


class ClaimExceedsDailyLimit(RuleViolation):
    code = "claim_exceeds_daily_limit"
    ko = '하루 인정 시간({max_hours}시간)을 넘습니다. (이미 {already_minutes}분 신청됨)'
    en = 'This exceeds the daily limit of {max_hours} hours ({already_minutes} minutes already claimed).'


class ClaimOverlaps(RuleViolation):
    code = "claim_overlaps"
    ko = '같은 시간대에 이미 신청된 봉사가 있습니다.'
    en = 'Another claim of this volunteer overlaps this time.'


class RejectionReasonRequired(RuleViolation):
    code = "rejection_reason_required"
    ko = '반려 사유를 입력하세요.'
    en = 'A reason is required to reject a claim.'


# --- users ----------------------------------------------------------------------------------

class UserNotFound(NotFound):
    code = "user_not_found"
    ko = '사용자를 찾을 수 없습니다.'
    en = 'User not found.'


class UsernameTaken(Conflict):
    code = "username_taken"
    ko = '이미 사용 중인 아이디입니다.'
    en = 'This username is already taken.'


class InvalidRole(RuleViolation):
    code = "invalid_role"
    ko = '알 수 없는 역할입니다: {role}'
    en = 'Unknown role: {role}'


class WrongCurrentPassword(RuleViolation):
    code = "wrong_current_password"
    ko = "현재 비밀번호가 올바르지 않습니다."
    en = "The current password is wrong."


class PasswordUnchanged(RuleViolation):
    code = "password_unchanged"
    ko = "새 비밀번호가 지금 비밀번호와 같습니다. 다른 비밀번호를 고르세요."
    en = "The new password is the same as the current one. Choose another."


class CannotChangeOwnAccount(Conflict):
    code = "cannot_change_own_account"
    ko = "자기 계정의 역할이나 사용 여부는 바꿀 수 없습니다. 다른 관리자에게 요청하세요."
    en = "You cannot change your own role or disable yourself. Ask another admin."


class LastAdmin(Conflict):
    code = "last_admin"
    ko = "마지막 관리자입니다. 다른 관리자를 먼저 만드세요."
    en = "This is the last admin. Make another admin first."


class WeakPassword(RuleViolation):
    code = "weak_password"
    ko = '비밀번호는 {min_length}자 이상이어야 합니다.'
    en = 'A password must have at least {min_length} characters.'


# --- sign-in and tokens ---------------------------------------------------------------------

class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    ko = "아이디 또는 비밀번호가 올바르지 않습니다."
    en = "Wrong username or password."


class ConsoleNotAllowed(NotAllowed):
    code = "console_not_allowed"
    ko = "관리 콘솔은 직원, 관리자, 감사자만 사용할 수 있습니다."
    en = "Only staff, admins and auditors may use the console."


class TokenMissing(NotAuthenticated):
    code = "token_missing"
    ko = "로그인이 필요합니다. (Authorization: Bearer 토큰 없음)"
    en = "Authentication is required (no Authorization: Bearer token)."


class TokenExpired(NotAuthenticated):
    code = "token_expired"
    ko = "토큰이 만료되었습니다. 다시 로그인하세요."
    en = "The token has expired. Sign in again."


class TokenInvalid(NotAuthenticated):
    code = "token_invalid"
    ko = "유효하지 않은 토큰입니다."
    en = "The token is not valid."


class TokenRevoked(NotAuthenticated):
    code = "token_revoked"
    ko = "더 이상 사용할 수 없는 토큰입니다. 다시 로그인하세요."
    en = "The token has been revoked. Sign in again."


class RoleNotAllowed(NotAllowed):
    code = "role_not_allowed"
    ko = "이 기능을 사용할 권한이 없습니다."
    en = "Your role may not use this."
    # About the caller, not the operation: checked before anything is done, and never stored.
    invites_retry = True


class NotOwner(NotAllowed):
    code = "not_owner"
    ko = "본인(소속)의 정보만 다룰 수 있습니다."
    en = "You may only act on what belongs to you."


class IdempotencyKeyRequired(RuleViolation):
    code = "idempotency_key_required"
    ko = "이 요청에는 Idempotency-Key 헤더가 필요합니다."
    en = "This request needs an Idempotency-Key header."


class IdempotencyKeyInvalid(RuleViolation):
    code = "idempotency_key_invalid"
    ko = "Idempotency-Key는 1~200자의 영문, 숫자, -, _, ., : 만 쓸 수 있습니다."
    en = "An Idempotency-Key is 1-200 characters of letters, digits, -, _, . and :."


class RefreshTokenReused(TokenRevoked):
    """A rotated refresh token came back: it was copied, so its whole sign-in is revoked."""

    code = "refresh_token_reused"
    ko = "이미 사용된 토큰입니다. 보안을 위해 로그아웃되었습니다. 다시 로그인하세요."
    en = "This token was already used. You have been signed out for safety; sign in again."
    keeps_changes = True


# --- QR cards -------------------------------------------------------------------------------

class QrTokenExpired(Conflict):
    code = "qr_token_expired"
    ko = "QR 코드의 유효 시간이 지났습니다. 새 QR 코드를 보여 주세요."
    en = "The QR code has expired. Show a fresh one."


class QrTokenInvalid(RuleViolation):
    code = "qr_token_invalid"
    ko = "인식할 수 없는 QR 코드입니다."
    en = "This QR code is not valid."


class QrTokenReplayed(Conflict):
    code = "qr_token_replayed"
    ko = "이미 사용된 QR 코드입니다. 새 QR 코드를 보여 주세요."
    en = "This QR code has already been used. Show a fresh one."


class QrTokenCardMismatch(Conflict):
    code = "qr_token_card_mismatch"
    ko = "QR 코드가 이 카드의 것이 아닙니다."
    en = "This QR code belongs to another card."


# --- cards awaiting reissue -----------------------------------------------------------------

class VolunteerCardAwaitsReissue(VolunteerHasActiveCard):
    code = "volunteer_card_awaits_reissue"
    ko = '기존 카드(상태: {status})에 포인트가 남아 있습니다. 새 카드 발급 대신 재발급하세요.'
    en = "The volunteer's {status} card still holds the points. Reissue it instead of issuing a new card."


# --- the volunteer's own card ---------------------------------------------------------------

class VolunteerNotLinked(NotAllowed):
    code = "volunteer_not_linked"
    ko = "이 계정에 연결된 봉사자 정보가 없습니다. 자원봉사센터에 문의하세요."
    en = "This account is not linked to a volunteer. Contact the volunteer centre."


class SelfSubmissionDisabled(NotAllowed):
    code = "self_submission_disabled"
    ko = "봉사자 본인의 봉사시간 신청은 받지 않습니다. 봉사 기관에 신청을 요청하세요."
    en = "Volunteers may not submit their own hours. Ask the organisation to submit them."


class CurrentPinRequired(RuleViolation):
    code = "current_pin_required"
    ko = "PIN을 바꾸려면 현재 PIN을 입력하세요."
    en = "Enter the current PIN to change it."


# --- staff hours desk: volunteers, cards, organisations, claim imports ----------------------

class Portal1365IdTaken(Conflict):
    code = "portal_1365_id_taken"
    ko = "이미 다른 봉사자에게 등록된 1365 아이디입니다."
    en = "This 1365 portal id already belongs to another volunteer."


class OrganisationNameTaken(Conflict):
    code = "organisation_name_taken"
    ko = "이미 등록된 기관 이름입니다."
    en = "An organisation with this name already exists."


class CardPinNotLocked(Conflict):
    code = "card_pin_not_locked"
    ko = "PIN이 잠겨 있지 않은 카드입니다."
    en = "The card's PIN is not locked."


class ClaimVolunteerRequired(RuleViolation):
    code = "claim_volunteer_required"
    ko = "봉사자 ID 또는 카드번호를 입력하세요."
    en = "Give a volunteer id or a card number."


class ClaimVolunteerMismatch(RuleViolation):
    code = "claim_volunteer_mismatch"
    ko = "카드번호가 이 봉사자의 것이 아닙니다."
    en = "The card number does not belong to this volunteer."


class VolunteerNameMismatch(RuleViolation):
    code = "volunteer_name_mismatch"
    ko = "이름이 봉사자 정보와 일치하지 않습니다."
    en = "The name does not match the volunteer."


class ClaimOrganisationRequired(RuleViolation):
    code = "claim_organisation_required"
    ko = "기관 ID를 입력하세요."
    en = "Give an organisation id."


class ImportFileUnreadable(RuleViolation):
    code = "import_file_unreadable"
    ko = "CSV 파일을 읽을 수 없습니다. UTF-8 또는 CP949(EUC-KR)로 저장한 CSV 파일을 올려 주세요."
    en = "The CSV file cannot be read. Upload a CSV file saved as UTF-8 or CP949 (EUC-KR)."


class ImportFileEmpty(RuleViolation):
    code = "import_file_empty"
    ko = "CSV 파일에 봉사시간 행이 없습니다."
    en = "The CSV file has no rows of hours."


class ImportColumnsMissing(RuleViolation):
    code = "import_columns_missing"
    ko = "CSV 파일에 필요한 열이 없습니다: {columns}"
    en = "The CSV file lacks required columns: {columns}"


class ImportTooManyRows(RuleViolation):
    code = "import_too_many_rows"
    ko = "한 번에 {max_rows:,}행까지 올릴 수 있습니다."
    en = "At most {max_rows:,} rows can be uploaded at once."


class ImportValueMissing(RuleViolation):
    code = "import_value_missing"
    ko = "'{column}' 값이 비어 있습니다."
    en = "The '{column}' value is empty."


class ImportValueInvalid(RuleViolation):
    code = "import_value_invalid"
    ko = "'{column}' 값을 읽을 수 없습니다: {value}"
    en = "The '{column}' value cannot be read: {value}"


# --- partner shops ----------------------------------------------------------------------------

class MerchantNotFound(NotFound):
    code = "merchant_not_found"
    ko = "가맹점을 찾을 수 없습니다."
    en = "Partner shop not found."


class InvalidBusinessNumber(RuleViolation):
    code = "invalid_business_number"
    ko = "사업자등록번호가 올바르지 않습니다. (숫자 10자리, 검증번호 확인)"
    en = "The business registration number is not valid (10 digits with a valid check digit)."


class BusinessNumberTaken(Conflict):
    code = "business_number_taken"
    ko = "이미 등록된 사업자등록번호입니다."
    en = "This business registration number is already registered."


class MerchantStatusTransitionRefused(Conflict):
    code = "merchant_status_transition_refused"
    ko = "가맹점 상태를 {current}에서 {target}(으)로 바꿀 수 없습니다."
    en = "A partner shop cannot go from {current} to {target}."


class MerchantNotActive(NotAllowed):
    code = "merchant_not_active"
    ko = "아직 승인되지 않은 가맹점입니다. 자원봉사센터에 문의하세요."
    en = "This partner shop is not active yet. Contact the volunteer centre."


class MerchantSuspended(MerchantNotActive):
    code = "merchant_suspended"
    ko = "거래가 정지된 가맹점입니다. 자원봉사센터에 문의하세요."
    en = "This partner shop has been suspended. Contact the volunteer centre."


class InvalidOffer(RuleViolation):
    code = "invalid_offer"
    ko = "할인 조건이 올바르지 않습니다: {reason}"
    en = "The offer is not valid: {reason}"


class MerchantHasNoOffer(Conflict):
    code = "merchant_has_no_offer"
    ko = "이 가맹점에는 등록된 할인 조건이 없습니다."
    en = "This partner shop has no discount offer."


class OfferNotAvailableNow(RuleViolation):
    code = "offer_not_available_now"
    ko = "지금은 마일리지 할인 시간이 아닙니다."
    en = "The mileage discount does not apply at this time."


class TerminalNotFound(NotFound):
    code = "terminal_not_found"
    ko = "단말기를 찾을 수 없습니다."
    en = "Terminal not found."


class InvalidTerminalCredentials(NotAuthenticated):
    code = "invalid_terminal_credentials"
    ko = "단말기 ID 또는 비밀키가 올바르지 않습니다."
    en = "Wrong terminal key id or secret."


class TerminalRevoked(NotAuthenticated):
    code = "terminal_revoked"
    ko = "사용이 중지된 단말기입니다."
    en = "This terminal has been revoked."


class NoBrowserSession(RuleViolation):
    """A page asked to renew a sign-in this browser does not have (no refresh cookie)."""

    code = "no_browser_session"
    ko = "이 기기에는 로그인 정보가 없습니다. 아이디와 비밀번호로 로그인하세요."
    en = "This device is not signed in. Sign in with your username and password."


class NoTerminalSession(RuleViolation):
    """The counter page asked to renew a session this browser does not have (nothing presented)."""

    code = "no_terminal_session"
    ko = "이 기기에는 계산대 로그인이 없습니다. 단말기 ID와 비밀키로 로그인하세요."
    en = "This device has no counter sign-in. Sign in with the terminal ID and secret."


class TerminalAlreadyRevoked(Conflict):
    code = "terminal_already_revoked"
    ko = "이미 사용이 중지된 단말기입니다."
    en = "This terminal has already been revoked."


# --- redemptions, holds and refunds ---------------------------------------------------------

class BelowMinimumPurchase(RuleViolation):
    code = "below_minimum_purchase"
    ko = "구매 금액이 최소 결제 금액({min_purchase:,}원)보다 적습니다."
    en = "The purchase is below the minimum of {min_purchase:,} won."


class NoDiscountForPurchase(RuleViolation):
    code = "no_discount_for_purchase"
    ko = "이 구매 금액에는 적용할 할인이 없습니다."
    en = "No discount applies to this purchase."


class PinRequired(RuleViolation):
    code = "pin_required"
    ko = "실물 카드로 결제하려면 카드 PIN을 입력하세요."
    en = "A printed card needs its PIN."


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"
    ko = "마일리지 사용 내역을 찾을 수 없습니다."
    en = "Redemption not found."


class RedemptionOfAnotherMerchant(NotAllowed):
    code = "redemption_of_another_merchant"
    ko = "다른 가맹점의 거래는 취소할 수 없습니다."
    en = "Only the shop that made the sale can refund it."


class RefundExceedsRemaining(Conflict):
    code = "refund_exceeds_remaining"
    ko = "환불 가능한 포인트({remaining:,}점)를 넘습니다."
    en = "The refund exceeds the {remaining:,} points left to refund."


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"
    ko = "사용 후 {window_days}일이 지나 환불할 수 없습니다."
    en = "Refunds are only possible within {window_days} days of the sale."


class HoldNotFound(NotFound):
    code = "hold_not_found"
    ko = "포인트 승인(홀드)을 찾을 수 없습니다."
    en = "Hold not found."


class HoldOfAnotherMerchant(NotAllowed):
    code = "hold_of_another_merchant"
    ko = "다른 가맹점의 승인 건입니다."
    en = "This hold belongs to another shop."


class HoldExpired(Conflict):
    code = "hold_expired"
    ko = "승인 유효 시간이 지나 확정할 수 없습니다. 다시 승인하세요."
    en = "The hold has expired and cannot be captured. Authorize again."


class HoldNotOpen(Conflict):
    code = "hold_not_open"
    ko = "이미 처리된 승인 건입니다. (상태: {status})"
    en = "The hold has already been settled (status: {status})."


class CaptureExceedsHold(Conflict):
    code = "capture_exceeds_hold"
    ko = "승인된 포인트({held:,}점)보다 많이 확정할 수 없습니다."
    en = "Cannot capture more than the {held:,} points held."


# --- settlement -----------------------------------------------------------------------------

class InvalidSettlementRange(RuleViolation):
    code = "invalid_settlement_range"
    ko = "정산 기간이 올바르지 않습니다. (시작일 ≤ 종료일, 최대 {max_days}일)"
    en = "The settlement range is not valid (start on or before end, at most {max_days} days)."


class SettlementPeriodNotOver(RuleViolation):
    code = "settlement_period_not_over"
    ko = "아직 끝나지 않은 기간은 마감할 수 없습니다."
    en = "A period can only be closed after it has ended."


class SettlementPeriodAlreadyClosed(Conflict):
    code = "settlement_period_already_closed"
    ko = "이미 마감된 정산 기간입니다."
    en = "This settlement period is already closed."


# --- donations, campaigns, disbursements ----------------------------------------------------

class CauseNotFound(NotFound):
    code = "cause_not_found"
    ko = "기부처를 찾을 수 없습니다."
    en = "Donation cause not found."


class CauseNameTaken(Conflict):
    code = "cause_name_taken"
    ko = "같은 이름의 기부처가 이미 있습니다: {name}"
    en = "A cause with this name already exists: {name}"


class CauseClosed(Conflict):
    code = "cause_closed"
    ko = "모금이 마감된 기부처입니다: {name}"
    en = "This cause is closed to donations: {name}"


class CauseStatusUnchanged(Conflict):
    code = "cause_status_unchanged"
    ko = "기부처가 이미 그 상태입니다. (상태: {status})"
    en = "The cause is already {status}."


class DonationNotFound(NotFound):
    code = "donation_not_found"
    ko = "기부 내역을 찾을 수 없습니다."
    en = "Donation not found."


class ConsentWitnessRequired(RuleViolation):
    code = "consent_witness_required"
    ko = "구두 동의는 입회한 사람(이름 또는 직원)을 기록해야 합니다."
    en = "Verbal consent needs a witness (a name or a staff user)."


class ConsentNoteRequired(RuleViolation):
    code = "consent_note_required"
    ko = "동의를 받은 방법을 메모로 남겨 주세요. (예: 연말 캠페인 서면 동의서)"
    en = "Describe how consent was collected (for example, signed year-end campaign forms)."


class DisbursementExceedsBalance(Conflict):
    code = "disbursement_exceeds_balance"
    ko = "기부처 잔액({available:,}점)보다 많이 전달할 수 없습니다. (요청 {requested:,}점)"
    en = "Cannot disburse more than the cause holds ({available:,} points; {requested:,} requested)."


class DisbursementMemoRequired(RuleViolation):
    code = "disbursement_memo_required"
    ko = "전달 내용을 메모로 남겨 주세요."
    en = "A memo describing the hand-over is required."


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    ko = "기부 캠페인을 찾을 수 없습니다."
    en = "Donation campaign not found."


class CampaignSelectsNobody(RuleViolation):
    code = "campaign_selects_nobody"
    ko = "조건에 맞는 봉사자가 없습니다."
    en = "No volunteer matches the campaign's filter."


class CampaignTooLarge(RuleViolation):
    code = "campaign_too_large"
    ko = "한 캠페인에는 봉사자 {max_volunteers:,}명까지 담을 수 있습니다. (선택 {selected:,}명)"
    en = "A campaign may hold at most {max_volunteers:,} volunteers ({selected:,} selected)."


# --- expiry ---------------------------------------------------------------------------------

class ExpiryDateInFuture(RuleViolation):
    code = "expiry_date_in_future"
    ko = "미래 날짜({as_of})로는 소멸 처리를 할 수 없습니다."
    en = "Points cannot be expired as of a future date ({as_of})."


# --- reports --------------------------------------------------------------------------------

class InvalidReportPeriod(RuleViolation):
    code = "invalid_report_period"
    ko = "보고서 기간이 올바르지 않습니다. (시작일 ≤ 종료일, 최대 {max_months}개월)"
    en = "The report period is not valid (start on or before end, at most {max_months} months)."


# --- request bodies -------------------------------------------------------------------------

class MalformedJson(DomainError):
    """A body that is not JSON we accept; raised before any view parses it."""

    code = "malformed_json"
    ko = "JSON 본문을 읽을 수 없습니다. ({reason})"
    en = "The JSON body cannot be read ({reason})."


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
