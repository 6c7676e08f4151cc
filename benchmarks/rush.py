"""The opening rush, end to end through the gateway, against a running `make run` (same
environment variables):

    python benchmarks/rush.py [URL] [--parents 2500] [--capacity 300] [--concurrency 100]
                              [--double-clicks 0.1] [--no-script]

Setup (not timed): N load-test families (accounts' generator, as deploy.demo), one child each
(replacing an earlier run's) enrolled in a new "ALSH Vacances" session of CAPACITY places on
the next holiday weekday.
Then, timed, as the parents of a town do on the morning registrations open:
1. logins: every parent logs in (an Argon2 verification each) and opens the child's planning;
2. bookings: at the opening time all of them book the session at once (a share double-click:
   the same request twice), as the agenda's script sends them (JSON asked: a refusal is its
   reason, shown in place), or as forms answered by the agenda page with --no-script;
3. pages: each parent browses Accueil, Mes enfants and Relevé de compte.
Prints logins/s, bookings/s, p50/p95/p99 of each page, the errors (anything but a booking or
a French "complet" answer), the confirmed bookings against the capacity (must be equal;
no child booked twice; exit status 1 if not), and the CPU each booking cost per process
group (benchmarks/cpu.py). Loopback only.
"""
import argparse
import datetime as dt
import http.client
import http.cookies
import json
import os
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import cpu  # noqa: E402
from benchmarks.accueil import CSRF_INPUT, VALUE, login, loopback_only, percentile  # noqa: E402

MAX_PARENTS = 20000


def _services():
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    from services.common import settings as settings_module

    return settings_module.load()


def holiday_day(today):
    """The first weekday from tomorrow in the school holidays, not a public holiday."""
    from services.children import calendar

    day = today + dt.timedelta(days=1)
    while not (day.weekday() < 5 and calendar.school_holiday(day)
               and not calendar.public_holiday(day)):
        day += dt.timedelta(days=1)
    return day


def load_families(settings, n):
    """Identifiants of the n load-test families, generated when some are missing."""
    from services.accounts import demo
    from services.accounts.models import Family
    from services.common.db import make_engine

    identifiants = [demo.load_numero(i) for i in range(1, n + 1)]
    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    with engine.connect() as conn:
        present = conn.scalar(sa.select(sa.func.count()).select_from(Family)
                              .where(Family.numero.in_(identifiants)))
    engine.dispose()
    if present < n:
        demo.generate_families(settings, n)
    return identifiants


def prepare(settings, identifiants, capacity):
    """The session to rush and one enrolled child per family: {identifiant: child_id}."""
    from services.accounts.models import Family
    from services.children import records
    from services.children.models import Child, Enrolment, Prestation, Structure
    from services.common.db import make_engine, make_sessionmaker
    from services.common.rpc import RpcClient

    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    with engine.connect() as conn:  # the benchmark's own families, by their identifiant
        ids = dict(conn.execute(sa.select(Family.numero, Family.id)
                                .where(Family.numero.in_(identifiants))).all())
    engine.dispose()

    day = holiday_day(dt.date.today())
    rpc = RpcClient(settings, size=1, circuit_seconds=0)
    try:
        structures = {s["nom"]: s for s in rpc.call("children", "list_structures")}
        structure = structures.get("Banc d'essai") or rpc.call("children", "create_structure",
                                                               "Banc d'essai", 99)
        prestation = rpc.call("children", "create_prestation", structure["id"],
                              code=f"RUSH_{int(time.time())}", nom="ALSH Vacances ruée",
                              periode="vacances", jours_semaine=[0, 1, 2, 3, 4],
                              capacite=capacity, unite="jour", reservation_jours=0,
                              reservation_heure=23, reservation_jours_ouvres=False)
    finally:
        rpc.close()

    # Bulk insert: thousands of children in seconds (one encrypted health record shared).
    engine = make_engine(settings.service_database_url("children"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        health = records.encrypt_health({f: "" for f in records.HEALTH_FIELDS},
                                        settings.children_data_key)
        # The children an earlier run gave these families (their bookings go with them): else
        # each run adds a child to every family, and every page of the next runs, and of
        # benchmarks/accueil.py (same families), has more to show.
        session.execute(sa.delete(Child).where(Child.nom == "RUEE",
                                               Child.family_id.in_(list(ids.values()))))
        children = {}
        for identifiant in identifiants:
            child = Child(family_id=ids[identifiant], nom="RUEE", prenom=f"E{identifiant[-6:]}",
                          date_naissance=dt.date(2018, 1, 1), sexe="F", sante_chiffree=health,
                          autorisations={}, personnes_autorisees=[])
            session.add(child)
            children[identifiant] = child
        session.flush()
        session.execute(sa.insert(Enrolment), [
            {"child_id": c.id, "prestation_id": prestation["id"], "debut": day, "fin": day,
             "responsable": "RUEE", "jours_reguliers": []} for c in children.values()])
        session.commit()
        assert session.get(Prestation, prestation["id"]) and session.get(Structure, structure["id"])
        return prestation, day, {i: c.id for i, c in children.items()}
    finally:
        session.close()
        engine.dispose()


def csrf(session, base, child_id):
    page = session.get(f"{base}/mes-enfants/{child_id}", timeout=60)
    tag = CSRF_INPUT.search(page.text)
    return VALUE.search(tag.group(0)).group(1) if tag else ""


def check(settings, prestation_id, day):
    """(confirmed bookings, children booked more than once, places counted) from the DB."""
    from services.children.models import Booking, Session
    from services.common.db import make_engine

    engine = make_engine(settings.service_database_url("children"), pool_size=1)
    with engine.connect() as conn:
        confirmed = conn.scalar(sa.select(sa.func.count()).select_from(Booking).where(
            Booking.prestation_id == prestation_id, Booking.date == day,
            Booking.status == "confirmee"))
        doubles = conn.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Booking.child_id).where(Booking.prestation_id == prestation_id,
                                              Booking.date == day)
            .group_by(Booking.child_id).having(sa.func.count() > 1).subquery()))
        counted = conn.scalar(sa.select(Session.reserves).where(
            Session.prestation_id == prestation_id, Session.date == day))
    engine.dispose()
    return confirmed, doubles, counted


PAGES = (("Accueil", "/accueil"), ("Mes enfants", "/mes-enfants"),
         ("Relevé de compte", "/releve-de-compte"))


class Figures:
    """Latencies per name and the errors met, from many threads."""

    def __init__(self):
        self.latencies, self.errors, self.lock = {}, {}, threading.Lock()

    def record(self, name, started, error=None):
        elapsed = time.perf_counter() - started
        with self.lock:
            if error:
                self.errors[f"{name}: {error}"] = self.errors.get(f"{name}: {error}", 0) + 1
            else:
                self.latencies.setdefault(name, []).append(elapsed)

    def line(self, name, duration=None):
        values = sorted(self.latencies.get(name, []))
        rate = f"{len(values) / duration:7.1f}/s  " if duration else " " * 11
        return (f"{name:<28}{len(values):6d}  {rate}p50 {percentile(values, 50) * 1000:5.0f}  "
                f"p95 {percentile(values, 95) * 1000:5.0f}  p99 {percentile(values, 99) * 1000:5.0f} ms")


def get_page(figures, session, base, name, path):
    started = time.perf_counter()
    try:
        page = session.get(f"{base}{path}", timeout=120, allow_redirects=False)
    except requests.RequestException as exc:
        figures.record(name, started, type(exc).__name__)
        return None
    figures.record(name, started, None if page.status_code == 200 else f"HTTP {page.status_code}")
    return page if page.status_code == 200 else None


def post_form(session, base, path, data, headers):
    """(status, content type, text) of a form POST sent with http.client and the session's
    cookies, taking the cookies it sets. The load generator shares the two cores with the
    portal: requests costs about twice as much CPU per request (measured)."""
    url = urllib.parse.urlsplit(base)
    body = urllib.parse.urlencode(data)
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    try:
        conn.request("POST", path, body, {
            **headers, "Cookie": cookie, "Connection": "close",
            "Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        text = answer.read().decode("utf-8")
        for line in answer.headers.get_all("Set-Cookie") or ():
            for name, morsel in http.cookies.SimpleCookie(line).items():
                session.cookies.set(name, morsel.value, domain=url.hostname, path=morsel["path"] or "/")
        return answer.status, answer.headers.get("Content-Type", ""), text
    finally:
        conn.close()


def timed(pool, fn, items):
    started = time.perf_counter()
    results = list(pool.map(fn, items))
    return results, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default=None)
    parser.add_argument("--parents", type=int, default=2500)
    parser.add_argument("--capacity", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100,
                        help="simultaneous connections (threads) of the load generator")
    parser.add_argument("--double-clicks", type=float, default=0.1,
                        help="share of parents who send their booking twice")
    parser.add_argument("--no-script", action="store_true",
                        help="book as a browser without JavaScript does (the answer is a page)")
    args = parser.parse_args(argv)
    if not 1 <= args.parents <= MAX_PARENTS or args.capacity < 1 or args.concurrency < 1:
        sys.exit(f"--parents between 1 and {MAX_PARENTS}, --capacity and --concurrency at least 1")
    settings = _services()
    base = (args.url or f"http://127.0.0.1:{settings.gateway_port}").rstrip("/")
    loopback_only(base)

    print(f"setup: {args.parents} families...", flush=True)
    identifiants = load_families(settings, args.parents)
    prestation, day, children = prepare(settings, identifiants, args.capacity)
    print(f"setup: session « {prestation['nom']} » of {day:%d/%m/%Y}, {args.capacity} places; "
          f"{args.parents} parents, {args.concurrency} connections at a time", flush=True)
    figures = Figures()

    def arrive(identifiant):
        """Log in, then open the child's planning (where the booking form and its token are)."""
        started = time.perf_counter()
        session, problem = login(base, identifiant)
        figures.record("login", started, None if session is not None else problem[:60])
        if session is None:
            return None
        # Every parent's request closes its connection: thousands of idle keep-alive
        # connections would fill the gateway's connection limit.
        session.headers["Connection"] = "close"
        page = get_page(figures, session, base, "Agenda (planning)",
                        f"/mes-enfants/{children[identifiant]}/agenda?mois={day:%Y-%m}")
        tag = CSRF_INPUT.search(page.text) if page is not None else None
        token = VALUE.search(tag.group(0)).group(1) if tag else ""
        return children[identifiant], session, token

    with ThreadPoolExecutor(args.concurrency) as pool:
        arrived, login_time = timed(pool, arrive, identifiants)
    parents = [p for p in arrived if p is not None]

    doubles = int(len(parents) * args.double_clicks)
    jobs = parents + parents[:doubles]  # the double-clickers send the same booking twice
    outcomes, lock = {}, threading.Lock()
    start_gate = threading.Event()

    # As the agenda's script sends a booking (planning.js: JSON asked, a refusal answered in
    # place), or with --no-script as a form whose answer is a page.
    headers = {} if args.no_script else {"Accept": "application/json"}

    def book(job):
        child_id, session, token = job
        start_gate.wait()
        started = time.perf_counter()
        try:
            status, content_type, text = post_form(
                session, base, f"/mes-enfants/{child_id}/agenda", headers=headers,
                data={"csrf_token": token, "action": "reservation", "date": day.isoformat(),
                      "prestation": prestation["id"]})
            scripted = content_type.startswith("application/json")
            said = " ".join(json.loads(text).get("erreurs", [])) if scripted else text
            if status == 302 or (scripted and status == 200):
                kind = "réservé"
            elif "Complet" in said:
                kind = "complet"
            elif "existe déjà" in said:
                kind = "déjà réservé"
            else:
                kind = None
                figures.record("booking", started, f"HTTP {status}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            kind = None
            figures.record("booking", started, type(exc).__name__)
        if kind:
            figures.record("booking", started)
            with lock:
                outcomes[kind] = outcomes.get(kind, 0) + 1

    with ThreadPoolExecutor(args.concurrency) as pool:
        futures = [pool.submit(book, job) for job in jobs]
        time.sleep(0.5)  # let the threads reach the gate
        cpu_before = cpu.snapshot()
        t0 = time.perf_counter()
        start_gate.set()
        for future in futures:
            future.result()
        booking_time = time.perf_counter() - t0
        cpu_used = cpu.per_request(cpu_before, cpu.snapshot(), len(jobs))

    def browse(parent):
        _, session, _ = parent
        for name, path in PAGES:
            get_page(figures, session, base, name, path)

    with ThreadPoolExecutor(args.concurrency) as pool:
        _, pages_time = timed(pool, browse, parents)

    confirmed, double_bookings, counted = check(settings, prestation["id"], day)
    expected = min(args.capacity, len(parents))
    errors = sum(figures.errors.values())
    print(f"\n{'':<28}{'count':>6}  {'rate':>9}  latency")
    print(figures.line("login", login_time))
    print(figures.line("Agenda (planning)"))
    print(figures.line("booking", booking_time))
    for name, _ in PAGES:
        print(figures.line(name))
    print(f"{'pages after the rush':<28}{sum(len(figures.latencies.get(n, [])) for n, _ in PAGES):6d}"
          f"  {sum(len(figures.latencies.get(n, [])) for n, _ in PAGES) / pages_time:7.1f}/s")
    print("\nbooking answers     " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    print(f"capacity            {args.capacity}")
    print(f"confirmed bookings  {confirmed}   (places counted: {counted})"
          f"   {'OK' if confirmed == expected else 'WRONG'}")
    print(f"double bookings     {double_bookings}   {'OK' if double_bookings == 0 else 'WRONG'}")
    print(f"errors              {errors}" + "".join(f"\n  {n} × {e}" for e, n in
                                                  sorted(figures.errors.items())))
    print(f"cores               {os.cpu_count()} (load generator on the same machine)")
    print(f"CPU per booking     {cpu_used} (from /proc, every process on this machine)")
    ok = confirmed == expected and double_bookings == 0 and errors == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
