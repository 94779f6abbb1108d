"""Integration tests: services against a real, migrated database, rolled back after each test."""
