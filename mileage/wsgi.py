"""The WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py mileage.wsgi:app`.

A configuration the app refuses (a missing secret, an unmigrated database, ...) ends the process
with one line saying what to do, instead of a traceback in every worker's log.
"""

import sys

from mileage.app import create_app
from mileage.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    print(f"mileage: cannot start: {error}", file=sys.stderr, flush=True)
    # gunicorn stops the whole server when a worker cannot load the app (exit status 4).
    sys.exit(4)
