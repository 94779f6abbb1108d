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


class TooManyAttempts(DomainError):
    """Too many failed attempts; the caller must wait."""

    code = "too_many_attempts"
    ko = '시도 횟수가 너무 많습니다. 잠시 후 다시 시도하세요.'
    en = 'Too many attempts. Try again later.'


class TransactionConflict(DomainError):
    """A concurrent transaction got there first; running the whole unit again is safe."""

    code = "transaction_conflict"
    ko = '동시에 처리 중인 요청과 충돌했습니다. 다시 시도하세요.'
    en = 'A concurrent request got there first. Try again.'


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


class WeakPassword(RuleViolation):
    code = "weak_password"
    ko = '비밀번호는 {min_length}자 이상이어야 합니다.'
    en = 'A password must have at least {min_length} characters.'


# --- sign-in and tokens ---------------------------------------------------------------------

class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    ko = "아이디 또는 비밀번호가 올바르지 않습니다."
    en = "Wrong username or password."


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
