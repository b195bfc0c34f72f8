"""Alembic migrations for the walnats toolkit tables (checkpoints, claims, ledger, ...).

Shipped inside the wheel and run without an ``alembic.ini``: ``walnats db upgrade`` or
``await projections.upgrade_database(url)`` build the configuration in code
(``projections._read._migrate.alembic_config``). The revision is kept in
``walnats_alembic_version``, apart from the application's own ``alembic_version``.

To add a revision (walnats maintainers): change ``projections/_read/_tables.py``, bring
a scratch database to head, then let Alembic write the difference::

    python -c "import asyncio, projections._read as r; asyncio.run(r.upgrade_database(URL))"
    python -c "from alembic import command; import projections._read as r; \\
        command.revision(r.alembic_config(URL), 'what changed', autogenerate=True)"

Review the generated file (name it ``NNNN_what_changed.py``, keep ``render_as_batch``
operations for SQLite), and extend the migration tests.
"""
