"""`python -m deploy.demo [--families N] [--list]`: the demo family (its accounts record, then
each other service's demo data for it), and N more families for load tests.

Idempotent. `--list` prints the generated identifiants, one a line, for benchmarks/accueil.py.
`--invoice-elapsed-months` (run by `make run` once the services are up): waits until billing has
taken in what children published about the demo family, then invoices this school year's
closed months.
"""
import argparse
import importlib
import importlib.util
import sys
import time
import warnings

# Imported through the services; its deprecation notice is known and only noise here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import settings as settings_module

DEMO_LOGIN = ("10010018331", "Bonbons2015")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m deploy.demo", description=__doc__)
    parser.add_argument("--families", type=int, default=0, metavar="N",
                        help="also generate N families (password Bonbons2015)")
    parser.add_argument("--list", action="store_true",
                        help="print the identifiants of the N families, one a line")
    parser.add_argument("--invoice-elapsed-months", action="store_true",
                        help="with the services running: invoice this school year's closed months")
    parser.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                        help="how long --invoice-elapsed-months waits for billing (default 60)")
    args = parser.parse_args(argv)

    from services.accounts import demo  # imported late: --help works without the service

    settings = settings_module.load()
    if args.invoice_elapsed_months:
        return invoice_elapsed_months(settings, args.timeout)
    family = demo.seed(settings)
    print(f"demo: family {DEMO_LOGIN[0]} ready", file=sys.stderr)
    # Then each other service's demo data for that family (children, billing...), if it has any.
    for service in (s for s in settings_module.SERVICES if s != "accounts"):
        if importlib.util.find_spec(f"services.{service}") is None:
            continue
        if importlib.util.find_spec(f"services.{service}.demo") is not None:
            importlib.import_module(f"services.{service}.demo").seed(settings, family)
            print(f"demo: {service} ready", file=sys.stderr)
    if args.families > 0:
        identifiants = demo.generate_families(settings, args.families)
        print(f"demo: {len(identifiants)} families ready", file=sys.stderr)
        if args.list:
            print("\n".join(identifiants))
    return 0



def _events_not_taken_in(settings, family_id):
    """Ids of the events children published about the family that billing has not handled yet
    (handled: processed, or parked in failed_events after its retries)."""
    import sqlalchemy as sa

    from services.common import contracts
    from services.common.db import make_engine
    from services.common.events import failed_events, outbox_events, processed_events

    wanted = {s.event_type: f"{s.service}.{s.method}" for s in contracts.SUBSCRIPTIONS
              if s.source == "children" and s.service == "billing"}
    children = make_engine(settings.service_database_url("children"), pool_size=1)
    billing = make_engine(settings.service_database_url("billing"), pool_size=1)
    try:
        with children.connect() as conn:
            published = conn.execute(
                sa.select(outbox_events.c.event_id, outbox_events.c.event_type).where(
                    outbox_events.c.event_type.in_(wanted),
                    outbox_events.c.payload["data"]["family_id"].as_integer() == family_id)).all()
        ids = [e for e, _ in published]
        with billing.connect() as conn:
            handled = {(h, str(e)) for table in (processed_events, failed_events)
                       for h, e in conn.execute(sa.select(table.c.handler, table.c.event_id)
                                                .where(table.c.event_id.in_(ids)))}
    finally:
        children.dispose()
        billing.dispose()
    return [e for e, t in published if (wanted[t], str(e)) not in handled]


def invoice_elapsed_months(settings, timeout=60):
    """Billing learns the bookings and attendance by events, once the services run: wait for
    them (up to `timeout` seconds), then invoice the closed months of the school year."""
    import sqlalchemy as sa

    from services.accounts.demo import DEMO_NUMERO
    from services.accounts.models import Family
    from services.billing import demo as billing_demo
    from services.common.db import make_engine, make_sessionmaker

    accounts = make_engine(settings.service_database_url("accounts"), pool_size=1)
    try:
        with accounts.connect() as conn:
            family_id = conn.scalar(sa.select(Family.id).where(Family.numero == DEMO_NUMERO))
    finally:
        accounts.dispose()
    deadline = time.monotonic() + timeout
    while (waiting := _events_not_taken_in(settings, family_id)):
        if time.monotonic() > deadline:
            print(f"demo: billing has not taken in {len(waiting)} events of children after "
                  f"{timeout:.0f} s; this year's invoices are not made (run `python -m deploy.demo "
                  "--invoice-elapsed-months` later)", file=sys.stderr)
            return 1
        time.sleep(0.5)
    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        created = billing_demo.invoice_closed_months(session)
        session.commit()
    finally:
        session.close()
        engine.dispose()
    print(f"demo: {created} invoices of this school year made", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
