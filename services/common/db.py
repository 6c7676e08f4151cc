"""Database access: one engine per process and service, one session per nameko worker."""
import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy import orm

from services.common import settings as settings_module


def make_engine(url, pool_size=10):
    # pre_ping replaces connections that died with a PostgreSQL restart.
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def make_sessionmaker(engine):
    return orm.sessionmaker(engine, expire_on_commit=False)


class Database(DependencyProvider):
    """Injects a SQLAlchemy session bound to this service's own database.

    The session is closed (and anything uncommitted rolled back) when the worker ends.
    """

    def __init__(self, service=None):
        self.service = service

    def setup(self):
        settings = settings_module.load()
        service = self.service or self.container.service_name
        max_workers = self.container.config.get("max_workers", 10)
        self.engine = make_engine(settings.service_database_url(service), pool_size=max_workers)
        self.Session = make_sessionmaker(self.engine)
        self.sessions = {}

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.Session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
