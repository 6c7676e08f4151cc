"""The monthly invoicing run for N generated families, with their PDFs.

    python benchmarks/invoicing.py [--families 25000] [--workers N]

Goal: 25,000 families in 4 minutes or less on 2 cores. Self-contained: it recreates its own
billing database (`<DATABASE_PREFIX>_bench_billing`, on the configured PostgreSQL server),
generates the families and a month of bookings and attendance (two children's worth of meals,
morning daycare, a few absences and extra hours), then times `invoicing_cli.run`, the same code
as `python -m services.billing.invoicing_cli`: invoices, lines, invoice.issued events, PDFs.
"""
import argparse
import dataclasses
import datetime as dt
import io
import random
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.common import migrations  # noqa: E402
from services.common import settings as settings_module  # noqa: E402
from services.common.db import make_engine, make_sessionmaker  # noqa: E402

PERIOD = "2026-10"


def school_days(period):
    year, month = map(int, period.split("-"))
    day = dt.date(year, month, 1)
    days = []
    while day.month == month:
        if day.weekday() in (0, 1, 3, 4):  # Monday, Tuesday, Thursday, Friday
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def copy_rows(conn, table, columns, rows):
    """COPY is the fastest way in: setting up is not what we measure."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.read())


def generate(settings, families):
    from services.billing import demo
    from services.billing.models import Base  # noqa: F401 (tables known to the engine)

    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    demo.configure(session)
    session.commit()
    session.close()
    rng = random.Random(42)
    days = school_days(PERIOD)
    family_rows, booking_rows, attendance_rows = [], [], []
    booking_id = 0
    for family_id in range(1, families + 1):
        qf = None if family_id % 7 == 0 else rng.randrange(200, 2000)
        family_rows.append((family_id, f"2{family_id:010d}", "Madame", f"FAMILLE{family_id}",
                            "CLAIRE", f"{family_id % 120 + 1} RUE DES ÉCOLES",
                            "31400" if family_id % 10 else "31000", "SAINT - JEAN",
                            f"famille{family_id}@example.org", qf))
        for child in range(1 + family_id % 2):
            child_id = family_id * 10 + child
            name = f"ENFANT{child} FAMILLE{family_id}"
            for code, label in (("RESTAURATION", "Garderie périscolaire Restauration scolaire"),
                                ("GARDERIE_MATIN", "Garderie périscolaire Garderie matin")):
                if code == "GARDERIE_MATIN" and family_id % 3:
                    continue
                for day in days:
                    booking_id += 1
                    booking_rows.append((booking_id, family_id, child_id, name, code, label, day,
                                         "f", "f"))
                    roll = rng.random()
                    status = ("absent_excuse" if roll < 0.03 else "absent_facture" if roll < 0.05
                              else "present")
                    attendance_rows.append((child_id, code, day, family_id, name, label, status,
                                            "t", 1, "2026-11-01T00:00:00+00:00"))
    with engine.begin() as conn:
        copy_rows(conn, "families", ("id", "numero", "civilite", "nom", "prenom", "adresse",
                                     "code_postal", "ville", "email", "quotient_familial"),
                  family_rows)
        copy_rows(conn, "bookings", ("booking_id", "family_id", "child_id", "child_name",
                                     "prestation_code", "prestation", "day", "cancelled",
                                     "late_cancellation"), booking_rows)
        copy_rows(conn, "attendance", ("child_id", "prestation_code", "day", "family_id",
                                       "child_name", "prestation", "status", "booked",
                                       "quantity", "occurred_at"), attendance_rows)
    engine.dispose()
    return len(booking_rows), len(attendance_rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=25000)
    parser.add_argument("--workers", type=int, default=None, help="PDF processes (default: CPUs)")
    args = parser.parse_args(argv)

    base = settings_module.load()
    settings = dataclasses.replace(base, database_prefix=f"{base.database_prefix}_bench",
                                   database_overrides={})
    migrations.drop_database(settings, "billing")
    migrations.create_database(settings, "billing")
    migrations.upgrade(settings, "billing")
    started = time.monotonic()
    bookings, attendance = generate(settings, args.families)
    print(f"set-up: {args.families} families, {bookings} bookings, {attendance} attendance "
          f"records in {time.monotonic() - started:.1f} s")

    from services.billing import invoicing_cli

    started = time.monotonic()
    summary = invoicing_cli.run(settings, PERIOD, workers=args.workers)
    total = time.monotonic() - started
    print(f"run {PERIOD}: {summary['created']} invoices; invoicing {summary['invoicing_seconds']} s, "
          f"PDFs {summary.get('pdf_seconds', 0)} s")
    print(f"total {total:.1f} s — {args.families / total:.0f} families/s "
          f"(goal: 25,000 families in 240 s or less, i.e. {25000 / 240:.0f} families/s)")
    migrations.drop_database(settings, "billing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
