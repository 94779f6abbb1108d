#!/bin/sh
# The catalogue commands (docs/i18n.md): extract the msgids, update every language's .po, compile the .mo files.
#   tools/i18n.sh extract | update | compile | all     (run from the repository root, in the project's venv)
set -eu
BABEL="${PYBABEL:-pybabel}"
DIR=mileage/translations
POT="${POT:-$DIR/messages.pot}"
KEYWORDS="-k N_ -k NP_:1c,2 -k translate:2 -k translate_in_context:2c,3 -k translate_plural:2,3"
extract() {
    # shellcheck disable=SC2086
    "$BABEL" extract -F babel.cfg $KEYWORDS --ignore-dirs=".* tests bench tools" --sort-by-file --no-wrap \
        --add-comments=Translators: --project="Volunteer Mileage" --version="${VERSION:-0.1}" -o "$POT" .
}
update() { "$BABEL" update -i "$POT" -d "$DIR" --no-wrap --ignore-obsolete --no-fuzzy-matching; }
compile() { "$BABEL" compile -d "$DIR" --statistics; }
case "${1:-all}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    all) extract && update && compile ;;
    *) echo "usage: $0 extract|update|compile|all" >&2; exit 2 ;;
esac
