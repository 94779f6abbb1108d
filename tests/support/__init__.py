"""Test support: scratch databases and factories."""
