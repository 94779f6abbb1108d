"""tools/convert_ko_en_messages.py turns a branch's ko/en error attributes into catalogue messages."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from mileage import i18n

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("convert", ROOT / "tools" / "convert_ko_en_messages.py")
convert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert)

OLD_STYLE = '''"""Errors of another branch."""

from mileage.errors import Conflict


class CardAlreadyLinked(Conflict):
    code = "card_already_linked"
    ko = "이미 연결된 카드입니다. (잔액 {balance:,}점, 100% 확인)"
    en = "The card is already linked ({balance:,} points, 100% checked)."
'''


def test_a_ko_en_pair_becomes_one_msgid_and_a_korean_translation(tmp_path):
    converted, pairs = convert.convert_source(OLD_STYLE)
    assert 'text = N_("The card is already linked (%(balance)s points, 100%% checked).")' in converted
    assert "ko =" not in converted and "en =" not in converted
    assert "from mileage.i18n import N_" in converted
    assert pairs == [("The card is already linked (%(balance)s points, 100%% checked).",
                      "이미 연결된 카드입니다. (잔액 %(balance)s점, 100%% 확인)")]

    po = tmp_path / "ko" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(i18n.TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po", po)
    convert.add_to_catalogue(pairs, po)
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale="ko")
    assert catalogue.get(pairs[0][0]).string == pairs[0][1]
    assert po.with_suffix(".mo").stat().st_size > 0

    # The converted source still compiles, and its message formats as the old one did.
    compile(converted, "converted.py", "exec")
    english = i18n.translate("en", pairs[0][0], balance="12,000")
    assert english == "The card is already linked (12,000 points, 100% checked)."
