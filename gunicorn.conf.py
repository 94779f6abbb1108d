"""Gunicorn settings for `gunicorn 'mileage.app:create_app()'` (read from the working directory).

Balanced workers (issue 17). gthread workers share one listening socket and whichever is awake
accepts; with keep-alive, a busy worker ended up holding almost every connection (32/0 across two
workers was usual), so "2 workers" ran on one GIL. Each worker is therefore allowed only its share
of the kept-alive connections: `worker_connections` = threads + the kept-alive clients divided
among the workers. A worker at its cap stops accepting, so new connections go to the others, and
a connection beyond a worker's keep-alive share is answered with `Connection: close` and simply
reconnects: never refused, never starved.

MILEAGE_KEEPALIVE_CLIENTS is how many connections clients keep open at once (the tills, or the
reverse proxy's upstream keep-alive pool); by default 4 per thread of every worker. Command-line
--workers and --threads are honoured; an explicit --worker-connections wins.
"""

import os

worker_class = "gthread"
threads = int(os.environ.get("MILEAGE_THREADS", "4"))
workers = int(os.environ.get("MILEAGE_WORKERS", str(os.cpu_count() or 2)))
# Seconds an idle kept-alive connection stays open: enough for a till between two scans.
keepalive = int(os.environ.get("MILEAGE_KEEPALIVE_SECONDS", "5"))
KEEPALIVE_PER_THREAD = 4


def balanced_worker_connections(worker_count: int, thread_count: int) -> int:
    """Return a worker's connection cap: its threads plus its share of the kept-alive clients."""
    clients = int(os.environ.get("MILEAGE_KEEPALIVE_CLIENTS") or worker_count * thread_count * KEEPALIVE_PER_THREAD)
    return thread_count + -(-clients // max(1, worker_count))


worker_connections = balanced_worker_connections(workers, threads)


def when_ready(server):
    """Recompute the cap from the final settings (the command line may have changed workers or threads)."""
    cfg = server.cfg
    if cfg.worker_connections != worker_connections:
        return  # set explicitly on the command line
    cfg.set("worker_connections", balanced_worker_connections(cfg.workers, cfg.threads))
    server.log.info("worker_connections=%s (keep-alive clients spread over %s workers)",
                    cfg.worker_connections, cfg.workers)
