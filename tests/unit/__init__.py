"""Unit tests: pure rules, no database."""
