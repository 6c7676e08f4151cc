"""Databases and Alembic migrations, one database and one migration history per service."""
import importlib.util
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

log = logging.getLogger(__name__)


def _migrations_dir(service):
    spec = importlib.util.find_spec(f"services.{service}")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "migrations"
    return path if (path / "env.py").exists() else None


def has_migrations(service):
    return _migrations_dir(service) is not None


def _server_engine(settings):
    # CREATE/DROP DATABASE cannot run in a transaction; connect to the maintenance database.
    url = f"{settings.database_url.rstrip('/')}/postgres"
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def database_exists(settings, service):
    engine = _server_engine(settings)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": settings.database_name(service)}) is not None
    finally:
        engine.dispose()


def create_database(settings, service):
    if service in settings.database_overrides or database_exists(settings, service):
        return
    engine = _server_engine(settings)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{settings.database_name(service)}"'))
    finally:
        engine.dispose()


def drop_database(settings, service):
    engine = _server_engine(settings)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(
                f'DROP DATABASE IF EXISTS "{settings.database_name(service)}" WITH (FORCE)'))
    finally:
        engine.dispose()


def alembic_config(settings, service):
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", settings.service_database_url(service))
    return cfg


def upgrade(settings, service, revision="head"):
    log.info("migrating %s", service)
    command.upgrade(alembic_config(settings, service), revision)


def run_env():
    """Body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
