"""Each service's migrations, run from an empty database (as the test session's databases
are), give exactly the tables its models declare: a model changed without a migration of its
own fails here, naming the difference."""
import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.common import events
from services.common.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_make_the_models_tables(service_db, service):
    declared = sa.MetaData()
    for metadata in (importlib.import_module(f"services.{service}.models").Base.metadata,
                     events.metadata):
        for table in metadata.tables.values():
            table.to_metadata(declared)
    with service_db[service].connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), declared)
    assert differences == []
