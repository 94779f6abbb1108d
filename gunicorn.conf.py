"""gunicorn settings for production, the ones the benchmarks ran with (README "Benchmarks").

Run from the checkout or the install's working directory:
    gunicorn -c gunicorn.conf.py 'mileage.app:create_app()'

Every setting can be overridden from the environment (the systemd unit's EnvironmentFile):
WEB_CONCURRENCY (worker processes), MILEAGE_WEB_THREADS, MILEAGE_BIND, MILEAGE_WEB_TIMEOUT,
GUNICORN_ACCESS_LOG=1 (gunicorn's own access line; the app already writes one JSON line per request),
MILEAGE_KEEPALIVE_CLIENTS (see below).

Balanced workers. gthread workers share one listening socket and whichever is awake accepts; with
keep-alive, a busy worker ended up holding almost every connection (32/0 across two workers was usual),
so "2 workers" ran on one GIL. Each worker is therefore allowed only its share of the kept-alive
connections: `worker_connections` = threads + the kept-alive clients divided among the workers. A worker
at its cap stops accepting, so new connections go to the others; a connection beyond a worker's
keep-alive share is answered with `Connection: close` and simply reconnects: never refused, never starved.
MILEAGE_KEEPALIVE_CLIENTS is how many connections clients keep open at once (the tills, or the reverse
proxy's upstream keep-alive pool); by default 4 per thread of every worker. An explicit
--worker-connections wins.
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
# Seconds an idle kept-alive connection stays open: enough for a till between two scans.
keepalive = int(os.environ.get("MILEAGE_KEEPALIVE_SECONDS", "5"))
KEEPALIVE_PER_THREAD = 4


def balanced_worker_connections(worker_count: int, thread_count: int) -> int:
    """Return a worker's connection cap: its threads plus its share of the kept-alive clients."""
    clients = int(os.environ.get("MILEAGE_KEEPALIVE_CLIENTS") or worker_count * thread_count * KEEPALIVE_PER_THREAD)
    return thread_count + -(-clients // max(1, worker_count))


worker_connections = balanced_worker_connections(workers, threads)

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
    """Tell the app how many processes serve it, and refuse a bad configuration once, before any worker starts.

    Production refuses per-process limits with several workers. Checked here in the master, a refusal is one
    line and exit status 4; left to the workers, two of them failing at once made gunicorn print a traceback.
    """
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
    import sys

    from mileage.app import create_app
    from mileage.config import ConfigurationError

    try:
        app = create_app()
    except ConfigurationError as error:
        print(f"mileage: cannot start: {error}", file=sys.stderr, flush=True)
        sys.exit(4)
    app.extensions["mileage.engine"].dispose()  # the workers open their own connections after the fork


def when_ready(server):
    """Recompute the connection cap from the final settings (the command line may change workers or threads)."""
    cfg = server.cfg
    if cfg.worker_connections != worker_connections:
        return  # set explicitly on the command line
    cfg.set("worker_connections", balanced_worker_connections(cfg.workers, cfg.threads))
    server.log.info("worker_connections=%s (keep-alive clients spread over %s workers)",
                    cfg.worker_connections, cfg.workers)


def post_worker_init(worker):
    """Keep what the app built at start-up out of the garbage collector's full passes.

    Modules, the API document and SQLAlchemy's caches live as long as the worker, yet each full
    collection walked them all again: about 66 ms with every thread of the worker stopped, which
    showed as the counter's slowest 1 % of sales. Frozen, a full pass walks only what requests
    made since (under a millisecond).
    """
    import gc

    gc.collect()
    gc.freeze()
    # Also the line that says this worker is about to accept (tests/support/gunicorn.py waits for it).
    worker.log.info("worker %s ready: froze %s start-up objects out of the garbage collector's full passes",
                    worker.pid, gc.get_freeze_count())
