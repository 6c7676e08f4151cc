"""`python -m deploy.migrate`: create each service's database if missing, migrate it to head,
then declare the event exchanges and subscriber queues (so no event is dropped for want of a
queue). Idempotent: run before every start."""
import logging
import sys
import warnings

# Imported through the services; its deprecation notice is known and only noise here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import events, migrations
from services.common import settings as settings_module


def migrate(settings):
    done = []
    for service in settings_module.SERVICES:
        if migrations.has_migrations(service):  # services not written yet have none
            migrations.create_database(settings, service)
            migrations.upgrade(settings, service)
            done.append(service)
    events.declare_topology(settings)
    return done


def main():
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    done = migrate(settings_module.load())
    print(f"migrate: databases up to date ({', '.join(done) or 'none'}); events declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
