"""Concurrency tests: real threads, real connections and real commits on a scratch database."""
