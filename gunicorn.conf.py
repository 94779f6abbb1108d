"""gunicorn settings for production, the ones the benchmarks ran with (README "Benchmarks").

Run from the checkout or the install's working directory:
    gunicorn -c gunicorn.conf.py 'mileage.app:create_app()'

Every setting can be overridden from the environment (the systemd unit's EnvironmentFile):
WEB_CONCURRENCY (worker processes), MILEAGE_WEB_THREADS, MILEAGE_BIND, MILEAGE_WEB_TIMEOUT,
GUNICORN_ACCESS_LOG=1 (gunicorn's own access line; the app already writes one JSON line per request).
"""

import os

# One process per core, each with a few threads: requests mostly wait on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("MILEAGE_WEB_THREADS", "4"))
worker_class = "gthread"
bind = os.environ.get("MILEAGE_BIND", "127.0.0.1:8000")

# A request that takes longer than this is stuck (the slowest, a bulk approval, takes seconds).
timeout = int(os.environ.get("MILEAGE_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
# Bounded request lines and headers (the app bounds bodies itself).
limit_request_line = 4094
limit_request_fields = 100

# Only the proxy on this machine talks to gunicorn; the app decides whom to trust
# (MILEAGE_TRUSTED_PROXIES), so gunicorn passes the headers through untouched.
forwarded_allow_ips = "127.0.0.1"

# Logs to stderr (journald): the app writes its JSON lines; gunicorn's access line is JSON too.
errorlog = "-"
loglevel = "info"
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") == "1" else None
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "duration_ms": %(M)s, "bytes": "%(B)s", "remote_addr": "%(h)s", '
    '"request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)


def on_starting(server):
    """Tell the app how many processes serve it: production refuses per-process limits with several."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
