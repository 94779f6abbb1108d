"""The blueprint every API blueprint is made of: flask-smorest's, refusing unknown query parameters.

webargs ignores a query parameter no schema names; a client that misspells one (or asks for
`?format=csv` where there is no CSV) would silently get an answer to another question. Refused
with 422 `validation_failed` instead, naming the parameter.
"""

from __future__ import annotations

import flask_smorest
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser


class StrictQueryParser(FlaskParser):
    """webargs' Flask parser, with unknown query parameters refused."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose query schemas refuse parameters they do not name."""

    ARGUMENTS_PARSER = StrictQueryParser()
