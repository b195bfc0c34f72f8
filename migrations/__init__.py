"""Alembic migrations for the walnats toolkit tables."""
