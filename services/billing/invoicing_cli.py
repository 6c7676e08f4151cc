"""`python -m services.billing.invoicing_cli --period 2026-11`: the monthly invoicing run, for
the back office, with every PDF rendered in a pool of processes.

Runs against billing's database directly (no RPC timeout for a large city); the running
billing service's relay publishes the invoice.issued events. Idempotent: run it again and
nothing new is created.
"""
import argparse
import concurrent.futures
import datetime as dt
import multiprocessing
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import settings as settings_module  # noqa: E402
from services.common.db import make_engine, make_sessionmaker  # noqa: E402


def run(settings, period, issued_on=None, workers=None, render=True):
    """The run and its PDFs; returns the summary with timings."""
    from services.billing import invoicing, pdfs

    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        started = time.monotonic()
        summary = invoicing.run_period(session, period, issued_on)
        summary["invoicing_seconds"] = round(time.monotonic() - started, 2)
        if render and summary["invoice_ids"]:
            started = time.monotonic()
            workers = workers or os.cpu_count() or 1
            # spawn: fresh interpreters, nothing inherited from this process's connections.
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                pdfs.store_all(session, summary["invoice_ids"],
                               mapper=lambda fn, docs: pool.map(fn, docs, chunksize=20))
            summary["pdf_seconds"] = round(time.monotonic() - started, 2)
        return summary
    finally:
        session.close()
        engine.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.billing.invoicing_cli",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--period", required=True, help="the month to invoice, AAAA-MM")
    parser.add_argument("--issued-on", type=dt.date.fromisoformat, default=None,
                        help="date of the invoices (default: today), AAAA-MM-JJ")
    parser.add_argument("--workers", type=int, default=None, help="PDF processes (default: CPUs)")
    args = parser.parse_args(argv)
    from services.common.errors import PortailError

    try:
        summary = run(settings_module.load(), args.period, args.issued_on, args.workers)
    except PortailError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    print(f"période {summary['period']} : {summary['created']} facture(s) émise(s), "
          f"{summary['existing']} déjà émise(s)")
    if summary["without_tariff"]:
        print("prestations sans tarif (non facturées) : " + ", ".join(summary["without_tariff"]))
    if summary["without_family"]:
        print(f"familles inconnues de la facturation : {len(summary['without_family'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
