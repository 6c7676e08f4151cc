"""Each service's migrations, run from an empty database (as the test session's databases
are), give exactly the tables its models declare: a model changed without a migration of its
own fails here, naming the difference."""
import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.common import events
from services.common.db import make_engine
from services.common.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_make_the_models_tables(settings, service):
    declared = sa.MetaData()
    for metadata in (importlib.import_module(f"services.{service}.models").Base.metadata,
                     events.metadata):
        for table in metadata.tables.values():
            table.to_metadata(declared)
    engine = make_engine(settings.service_database_url(service), pool_size=1)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), declared)
    finally:
        engine.dispose()
    assert differences == []
