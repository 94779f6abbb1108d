"""What a journal entry says, as data: its kind and parameters, rendered in the reader's language when read.

An entry stores `memo_params` (the shop, cause, claim, card, hold, dates it is about, and any note a
person typed) rather than a sentence, so the volunteer's history, the statement file, the console and
the reports say it in Korean or English alike. Migration 0010 filled the parameters of entries written
before, from their old English memos.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date

from mileage import i18n
from mileage.i18n import N_
from mileage.models import EntryKind

# The sentence of each kind; %(note)s (a person's own words) is added after it when there is one.
MEMO_TEMPLATES: dict[str, str] = {
    EntryKind.CLAIM_APPROVAL: N_("Hours claim #%(claim)s"),
    EntryKind.CLAIM_REVERSAL: N_("Hours claim #%(claim)s reversed"),
    EntryKind.REDEMPTION: N_("Discount at %(shop)s"),
    EntryKind.REDEMPTION_REFUND: N_("Refund of sale #%(redemption)s at %(shop)s"),
    EntryKind.HOLD: N_("Points held at %(shop)s"),
    EntryKind.HOLD_CAPTURE: N_("Hold #%(hold)s at %(shop)s settled"),
    EntryKind.HOLD_RELEASE: N_("Hold #%(hold)s released"),
    EntryKind.DONATION: N_("Donation to %(cause)s"),
    EntryKind.DISBURSEMENT: N_("Handed over from %(cause)s"),
    EntryKind.EXPIRY: N_("Points credited before %(cutoff)s expired on %(as_of)s"),
    EntryKind.EXPIRY_DONATION: N_("Points credited before %(cutoff)s donated to %(cause)s on %(as_of)s"),
    EntryKind.CARD_REISSUE: N_("Card %(old_card)s reissued as card %(new_card)s"),
    EntryKind.REVERSAL: N_("Reversal of entry #%(entry)s"),
}
# Shorter sentences for entries whose parameters are partly unknown (an old memo said less).
FALLBACK_TEMPLATES: dict[str, str] = {
    EntryKind.DISBURSEMENT: N_("Donation handed over"),
    EntryKind.EXPIRY_DONATION: N_("Points credited before %(cutoff)s donated on %(as_of)s"),
}
NOTE = N_("%(sentence)s: %(note)s")
DATE_PARAMS = ("cutoff", "as_of")
CARD_PARAMS = ("old_card", "new_card")
_FULL_CARD_NUMBER = re.compile(r"(?<!\d)\d{12}(\d{4})(?!\d)")


def render_memo(kind: str, params: dict | None, language: str | None, *, mask_cards: bool = False) -> str:
    """Return what an entry says in a language, from its kind and parameters.

    `mask_cards` shows card numbers as ****1234, as the volunteer's own screens and files do.
    """
    params = dict(params or {})
    note = params.pop("note", "") or ""
    if mask_cards:
        note = _FULL_CARD_NUMBER.sub(r"****\1", note)
    shown = {}
    for name, value in params.items():
        if name in DATE_PARAMS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = i18n.format_day(date.fromisoformat(value), language)
        elif name in CARD_PARAMS and mask_cards and isinstance(value, str):
            value = "****" + value[-4:]
        shown[name] = value
    sentence = ""
    for template in (MEMO_TEMPLATES.get(kind), FALLBACK_TEMPLATES.get(kind)):
        if template is None:
            continue
        try:
            sentence = i18n.translate(language, template, **shown)
            break
        except KeyError:
            continue
    if sentence and note:
        return i18n.translate(language, NOTE, sentence=sentence, note=note)
    return sentence or note


def entry_params(kind: str, memo_params: dict | None, memo: str | None) -> dict:
    """Return an entry's parameters; an entry without them (never migrated) is read from its old memo."""
    return memo_params if memo_params is not None else params_from_legacy_memo(kind, memo)


def entry_memo(entry, language: str | None, *, mask_cards: bool = False) -> str:
    """Return what a journal entry says, in a language."""
    return render_memo(entry.kind, entry_params(entry.kind, entry.memo_params, entry.memo), language,
                       mask_cards=mask_cards)


# --- the memos entries carried before 0010, and their parameters ------------------------------

# Each kind's old English f-string, as a pattern whose groups are the parameters.
LEGACY_MEMOS: dict[str, list[re.Pattern]] = {
    EntryKind.CLAIM_APPROVAL: [re.compile(r"^claim (?P<claim>\d+)$")],
    EntryKind.CLAIM_REVERSAL: [re.compile(r"^reversal of claim (?P<claim>\d+)$")],
    EntryKind.REDEMPTION: [re.compile(r"^discount at (?P<shop>.*)$", re.S)],
    EntryKind.HOLD: [re.compile(r"^hold at (?P<shop>.*)$", re.S)],
    EntryKind.HOLD_CAPTURE: [re.compile(r"^capture of hold (?P<hold>\d+) at (?P<shop>.*)$", re.S)],
    EntryKind.HOLD_RELEASE: [re.compile(r"^(?:voided|expired|released) hold (?P<hold>\d+)$")],
    EntryKind.REDEMPTION_REFUND: [re.compile(r"^refund of redemption (?P<redemption>\d+) at (?P<shop>.*)$", re.S)],
    EntryKind.DONATION: [re.compile(r"^donation to (?P<cause>.*)$", re.S)],
    EntryKind.EXPIRY: [re.compile(
        r"^points credited before (?P<cutoff>\d{4}-\d{2}-\d{2}) expire as of (?P<as_of>\d{4}-\d{2}-\d{2})$"
    )],
    EntryKind.EXPIRY_DONATION: [re.compile(
        r"^points credited before (?P<cutoff>\d{4}-\d{2}-\d{2}) expire as of (?P<as_of>\d{4}-\d{2}-\d{2})$"
    )],
    EntryKind.CARD_REISSUE: [re.compile(r"^reissue card (?P<old_card>\d+) -> (?P<new_card>\d+)$")],
    EntryKind.REVERSAL: [re.compile(r"^reversal of entry (?P<entry>\d+)$")],
}
_INTEGER_PARAMS = ("claim", "hold", "redemption", "entry")


def params_from_legacy_memo(kind: str, memo: str | None) -> dict:
    """Return the parameters an old English memo held; what matches no known form is kept as a note."""
    memo = (memo or "").strip()
    for pattern in LEGACY_MEMOS.get(kind, ()):
        found = pattern.match(memo)
        if found:
            return {name: int(value) if name in _INTEGER_PARAMS else value for name, value in found.groupdict().items()}
    return {"note": memo} if memo else {}
