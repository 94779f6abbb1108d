"""The blueprint every API blueprint is made of: flask-smorest's, refusing unknown query parameters.

webargs ignores a query parameter no schema names; a client that misspells one (or asks for
`?format=csv` where there is no CSV) would silently get an answer to another question. Refused
with 422 `validation_failed` instead, naming the parameter: by the query schema where the view has
one, and before the view where it reads no query at all.
"""

from __future__ import annotations

import flask_smorest
from flask import current_app, request
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from mileage.http.locale import LANGUAGE_PARAMETER

# Every route takes the reader's language choice (`?lang=`, mileage/http/locale.py); no schema names it.
SHARED_QUERY_PARAMETERS = frozenset({LANGUAGE_PARAMETER})


def _own_query_parameters() -> MultiDict:
    return MultiDict(
        (name, value) for name, value in request.args.items(multi=True) if name not in SHARED_QUERY_PARAMETERS
    )


class StrictQueryParser(FlaskParser):
    """webargs' Flask parser, with unknown query parameters refused."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def load_querystring(self, req, schema):
        """Return the query parameters the view's schema is asked about: all but the shared ones."""
        return self._makeproxy(_own_query_parameters(), schema)


def _reads_query(view) -> bool:
    arguments = (getattr(view, "_apidoc", None) or {}).get("arguments", {})
    return any(parameter.get("in") == "query" for parameter in arguments.get("parameters", []))


def refuse_query_nobody_reads():
    """Refuse a query string sent to a view that reads none (a `before_request` hook of every API blueprint)."""
    unknown = _own_query_parameters()
    if not unknown or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and not _reads_query(view):
        flask_smorest.abort(422, messages={"query": {name: ["Unknown field."] for name in unknown}})


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose views refuse query parameters they do not read."""

    ARGUMENTS_PARSER = StrictQueryParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_request(refuse_query_nobody_reads)
