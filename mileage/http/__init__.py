"""The web edge shared by every blueprint: request boundary, errors, callers and roles, idempotency, limits,
pages, schemas, health, docs."""
