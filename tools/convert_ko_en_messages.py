"""Convert error classes that still declare `ko = "..."` / `en = "..."` to the one catalogue.

    python tools/convert_ko_en_messages.py mileage/errors.py [more files...]

Each pair becomes `text = N_("<the English, with %(name)s placeholders>")` in the source, and the Korean
sentence is added to mileage/translations/ko/LC_MESSAGES/messages.po (then compiled to .mo).
`{name}` and `{name:,}` become `%(name)s` (numbers are formatted for the locale when the message is
shown); a literal % becomes %%. Run it on a branch that still declares errors the old way, read the diff,
then run the catalogue tests (tests/unit/test_catalogue.py). See docs/i18n.md.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
KOREAN_PO = ROOT / "mileage" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
_BRACE = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def to_gettext(template: str) -> str:
    """Return a str.format template as a gettext message with %(name)s placeholders."""
    return _BRACE.sub(r"%(\1)s", template.replace("%", "%%"))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def convert_source(source: str) -> tuple[str, list[tuple[str, str]]]:
    """Return the source with every ko/en pair replaced by `text = N_(...)`, and the (English, Korean) pairs."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    pairs: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        found: dict[str, ast.Assign] = {}
        for statement in node.body:
            if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id in ("ko", "en")
                    and isinstance(statement.value, ast.Constant)):
                found[statement.targets[0].id] = statement
        if set(found) != {"ko", "en"}:
            continue
        korean, english = to_gettext(found["ko"].value.value), to_gettext(found["en"].value.value)
        pairs.append((english, korean))
        first = min(found["ko"].lineno, found["en"].lineno)
        indent = re.match(r"\s*", lines[first - 1]).group(0)
        replacement = f"{indent}text = N_({_quoted(english)})\n"
        if len(replacement) > 120:
            replacement = f"{indent}text = N_(\n{indent}    {_quoted(english)}\n{indent})\n"
        for statement in found.values():
            edits.append((statement.lineno, statement.end_lineno, replacement if statement.lineno == first else ""))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1:end] = [text] if text else []
    converted = "".join(lines)
    if pairs and "import N_" not in converted:
        converted = converted.replace("\nclass ", "\nfrom mileage.i18n import N_\n\n\nclass ", 1)
    return converted, pairs


def add_to_catalogue(pairs: list[tuple[str, str]], po_path: Path = KOREAN_PO) -> None:
    """Add Korean translations to the catalogue (keeping existing ones) and compile it."""
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale="ko")
    for english, korean in pairs:
        existing = catalogue.get(english)
        if existing is None or not existing.string:
            catalogue.add(english, korean, flags=("python-format",) if "%(" in english else ())
    with po_path.open("wb") as handle:
        write_po(handle, catalogue, width=120, sort_output=False)
    with po_path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalogue)


def main(paths: list[str]) -> int:
    """Convert the named files in place."""
    everything = []
    for name in paths:
        path = Path(name)
        converted, pairs = convert_source(path.read_text(encoding="utf-8"))
        if pairs:
            path.write_text(converted, encoding="utf-8")
            print(f"{path}: {len(pairs)} messages converted")
            everything += pairs
    if everything:
        add_to_catalogue(everything)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
