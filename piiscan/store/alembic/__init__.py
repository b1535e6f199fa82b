"""Alembic migrations of the piiscan database (run by :func:`piiscan.store.db.upgrade`)."""
