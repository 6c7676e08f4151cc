"""Hostile input (issue 8), what test_forms.py and test_rpc.py share: Hypothesis settings,
generated hostile values, a world of test data to aim them at, checksums of the services'
databases ("nothing half-written") and waiting for the events of accepted changes.

Fixtures are named `hostile_*`: other modules of this folder keep worlds of their own.
"""
import base64
import datetime as dt
import itertools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings as hypothesis_settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from services.common import contracts
from services.common.db import make_engine
from services.common.errors import NotFound
from services.common.settings import SERVICES
from tests.support.families import create_family, ensure_demo

# --- Hypothesis ----------------------------------------------------------------------------

# Its caches (no example database: see hostile_settings) under .test-artifacts/, not in the
# repository's root.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / ".test-artifacts" / "hypothesis")

# HOSTILE_EXAMPLES=5 runs five times as many examples (a longer hunt, by hand); the suite
# itself keeps the default, fast enough for every run.
FACTOR = float(os.environ.get("HOSTILE_EXAMPLES", "1"))


def hostile_settings(max_examples, **options):
    """Reproducible (derandomize: the examples come from the test's own name, unless a
    @seed says otherwise; no example database is written), no deadline (real services answer
    in milliseconds, sometimes more), fixtures shared by the examples on purpose."""
    return hypothesis_settings(
        max_examples=max(1, int(max_examples * FACTOR)), deadline=None, derandomize=True,
        database=None, **options,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much,
                               HealthCheck.large_base_example],
        print_blob=False)


# --- hostile values --------------------------------------------------------------------------

NASTY_TEXT = (
    "", " ", "\x00", "a\x00b", "\t\r\n\x0b\x0c", "\x1b[31m", "\x7f\x85", "\u202etxt\u200b\ufeff",
    "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}{% raw %}",
    "' OR '1'='1' --", "'); DROP TABLE families; --", "%", "_%_\\", "../../../etc/passwd",
    "None", "null", "true", "NaN", "-1", "0", "1e999", "0x1F", "١٢٣", "²", "𝟗𝟗", "Ⅻ",
    "2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31", "31/12/2026",
    "2026-1-1", "2026-12", "99999-01-01", "-2026-01-01", "2026-W05-3", "ß", "İı", "ﬀ", "😀👨‍👩‍👧",
    "Ǆ" * 60, "é" * 301, "A" * 5001,
)
LONG_TEXT = st.sampled_from((2_000, 20_000, 120_000)).map(lambda n: ("Ab\x00é<" * n)[:n])
NASTY_NUMBERS = (0, -1, -2 ** 31, 2 ** 31, 2 ** 31 - 1, 2 ** 63, -2 ** 63 - 1, 10 ** 30, 10 ** 400,
                 1.5, -0.0, 1e308, float("nan"), float("inf"), float("-inf"))


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


hostile_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=40),  # every code point but surrogates: control characters, NUL included
    st.text(alphabet=st.characters(max_codepoint=0x1f), max_size=5),
    LONG_TEXT,
)
hostile_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.integers(),
    st.floats(),
)
hostile_container = st.one_of(
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=8),
    st.just(_nested(60)),
    st.just({"__class__": "dict", "$where": "1", "": None}),
)
hostile = st.one_of(st.none(), st.booleans(), hostile_number, hostile_text, hostile_container)

# Ids that reach no row of any test (not positive, or past what PostgreSQL's integer holds),
# in every JSON shape: the real rows are given by the world's pools, never by chance.
hostile_id = st.one_of(
    st.sampled_from((0, -1, -2 ** 31, 2 ** 31 - 1, 2 ** 31, 2 ** 63, 10 ** 30, 1.5, float("nan"),
                     "-1", " 0 ", "2147483648", "abc", "1e3", "٣", "²", "", None, True, [1],
                     {"id": 1})),
    st.integers(max_value=0),
    st.integers(min_value=2 ** 31 - 1),
)
hostile_date = st.one_of(
    st.sampled_from(("2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31",
                     "31/12/2026", "2026-1-1", "20260101", "2026-W05-3", "2026-12-01T10:00",
                     "", "demain", "٢٠٢٦-٠١-٠١", None, 20260101, [2026, 1, 1])),
    st.dates().map(dt.date.isoformat),
    hostile_text,
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def b64(data):
    return base64.b64encode(data).decode()


hostile_base64 = st.one_of(
    st.sampled_from((b64(PDF), b64(PNG), b64(b"hello"), "", "!!!", "QQ", "QUJD\nREVG",
                     b64(PDF + b"x" * (2 * 1024 * 1024)), b64(b"\xff\xd8\xff" + b"\x00" * 10))),
    hostile,
)


# --- what a message or a page may show -----------------------------------------------------------

PYTHON_TEXT = re.compile(
    r"Traceback|File \"|Exception|Error\b|\w+Error|NoneType|object has no attribute|"
    r"invalid literal|unsupported operand|not subscriptable|not iterable|takes \d+ positional|"
    r"unexpected keyword|psycopg|sqlalchemy|SELECT |INSERT |UPDATE |nameko|kombu|eventlet|"
    r"<class '|\[SQL:", re.I)
FRENCH = re.compile(r"[éèêàâçùôîû]|\b(le|la|les|l|de|des|du|d|un|une|est|sont|pas|ce|cette|"
                    r"ces|au|aux|et|ou|plus|doit|doivent|veuillez|introuvable|obligatoire|"
                    r"valide|invalide|inconnu|inconnue|inconnus|manquant|manquante|"
                    r"manquantes|informations|aucun|aucune|nombre|texte|attendu)\b", re.I)


def without_quotes(message):
    """A message without what it quotes of the input (« … »), which may be anything."""
    return re.sub(r"«[^»]*»", "«»", message, flags=re.S)


def french_refusal_problem(exc):
    """None when a PortailError carries French messages and nothing of Python; else why not."""
    messages = getattr(exc, "messages", None)
    if not messages:
        return f"{type(exc).__name__} without any message"
    for message in messages:
        if not isinstance(message, str) or not message.strip():
            return f"{type(exc).__name__}: a message that is not a text: {message!r}"
        own = without_quotes(message)
        if PYTHON_TEXT.search(own):
            return f"{type(exc).__name__}: Python or SQL text in the message: {message[:300]!r}"
        if not FRENCH.search(own):
            return f"{type(exc).__name__}: a message not in French: {message[:300]!r}"
    return None


# --- checksums of the services' databases ----------------------------------------------------------

# What changes on its own, whatever the call under test did, left out of the comparison:
IGNORED_TABLES = {
    # the migrations' bookkeeping
    "alembic_version",
    # handlers of events write these asynchronously, for events of earlier calls
    "processed_events", "failed_events",
    # a refused login counts a failure against the identifiant typed: that is its purpose
    "login_throttles",
}
IGNORED_COLUMNS = {
    # the relay marks an event published after the commit; the event row itself is compared
    "outbox_events": {"published_at"},
    # get_session touches it (at most once a minute) on every page of a logged-in parent
    "web_sessions": {"last_seen_at"},
    # the mailer's delivery bookkeeping (retries with back-off while no mail server listens)
    "notifications": {"status", "attempts", "next_attempt_at", "last_error", "sent_at"},
}


class Databases:
    """A checksum of every row of every table of a service (what IGNORED_* leaves out
    aside), in one query per service."""

    def __init__(self, service_db):
        self.engines = {name: service_db[name] for name in SERVICES}
        self.queries = {name: self._query(engine) for name, engine in self.engines.items()}

    @staticmethod
    def _query(engine):
        with engine.connect() as conn:
            columns = conn.execute(sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")).all()
        tables = {}
        for table, column, data_type in columns:
            if table in IGNORED_TABLES or column in IGNORED_COLUMNS.get(table, ()):
                continue
            # bytea (documents, attachments, PDFs) hashed by PostgreSQL, not turned into text
            expr = f'md5(t."{column}")' if data_type == "bytea" else f't."{column}"'
            tables.setdefault(table, []).append(expr)
        parts = [f"SELECT '{table}' AS name, md5(coalesce(string_agg(md5(ROW({', '.join(cols)})::text), "
                 f"',' ORDER BY md5(ROW({', '.join(cols)})::text)), '')) AS sum FROM \"{table}\" t"
                 for table, cols in sorted(tables.items())]
        return sa.text(" UNION ALL ".join(parts))

    def snapshot(self, services=SERVICES):
        """{(service, table): checksum}."""
        found = {}
        for name in services:
            with self.engines[name].connect() as conn:
                found.update({(name, row.name): row.sum for row in conn.execute(self.queries[name])})
        return found

    @staticmethod
    def changed(before, after):
        return sorted(f"{service}.{table}" for (service, table) in after
                      if before.get((service, table)) != after[(service, table)])

    def outbox_high_water(self):
        marks = {}
        for name, engine in self.engines.items():
            with engine.connect() as conn:
                marks[name] = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM outbox_events"))
        return marks

    def settle(self, since, timeout=20):
        """Wait until every event published since `since` (outbox ids per service) has been
        handled by each of its listeners; fail if one was parked in failed_events."""
        listeners = {}
        for sub in contracts.SUBSCRIPTIONS:
            listeners.setdefault((sub.source, sub.event_type), []).append(sub)
        deadline = time.monotonic() + timeout
        while True:
            expected, unpublished = {}, 0
            for source, engine in self.engines.items():
                with engine.connect() as conn:
                    rows = conn.execute(sa.text(
                        "SELECT event_id::text AS event_id, event_type, published_at "
                        "FROM outbox_events WHERE id > :since"), {"since": since[source]}).all()
                for row in rows:
                    unpublished += row.published_at is None
                    for sub in listeners.get((source, row.event_type), ()):
                        expected.setdefault(sub.service, set()).add(
                            (f"{sub.service}.{sub.method}", row.event_id))
            missing, failed = set(), []
            for service, wanted in expected.items():
                ids = sorted({event_id for _, event_id in wanted})
                with self.engines[service].connect() as conn:
                    done = {(r.handler, r.event_id) for r in conn.execute(sa.text(
                        "SELECT handler, event_id::text AS event_id FROM processed_events "
                        "WHERE event_id::text = ANY(:ids)"), {"ids": ids})}
                    parked = conn.execute(sa.text(
                        "SELECT handler, event_id::text AS event_id, error FROM failed_events "
                        "WHERE event_id::text = ANY(:ids)"), {"ids": ids}).all()
                failed += [f"{r.handler} on {r.event_id}: {r.error[:300]}" for r in parked]
                missing |= wanted - done - {(r.handler, r.event_id) for r in parked}
            assert not failed, "an event handler gave up on an event:\n" + "\n".join(failed)
            if not missing and not unpublished:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"events not handled after {timeout} s: {sorted(missing)[:5]}"
                                     f" ({unpublished} unpublished)")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def hostile_databases(service_db):
    return Databases(service_db)


def write_outcomes(filename, outcomes, entry):
    """How each method or route answered, in .test-artifacts/<filename>: enough answers must
    get past the first checks to mean something. `entry`: "{n} {what}" for one count."""
    if not outcomes:
        return
    path = Path(__file__).resolve().parents[2] / ".test-artifacts" / filename
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(
        f"{key}: {', '.join(entry.format(n=n, what=what) for what, n in sorted(counts.items()))}\n"
        for key, counts in sorted(outcomes.items())), encoding="utf-8")


# --- the world the hostile values are aimed at -------------------------------------------------------

_codes = itertools.count(1)


def unique(prefix):
    return f"{prefix}-{os.getpid() % 100000}-{next(_codes)}"


def open_school_day(day):
    from services.children import calendar

    return (day.weekday() < 5 and calendar.public_holiday(day) is None
            and calendar.school_holiday(day) is None)


def school_days(count, start):
    days, day = [], start
    while len(days) < count:
        if open_school_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass
class World:
    """Real rows of two families (A, whose parent is logged in, and B, another family) and of
    the back office, to mix with the hostile values: a call must refuse or act on them, never
    crash. The pools are lists of real values for each role."""
    demo: dict
    a: dict
    b: dict
    c: dict  # a family of the accounts tests only (its logins get locked, its password changed)
    structure: dict
    prestation: dict  # confirms at once
    pending_prestation: dict  # bookings wait for the back office
    child_a: dict
    child_b: dict
    child_long: dict  # A's child with the longest names the record takes (100 + 100)
    days: list
    booking_pending: int
    absence_pending: int
    preinscription: int
    closure: int
    thread_a: int
    thread_b: int
    attachment_a: int
    request_a: int
    request_b: int
    document: int
    invoice_demo: int
    invoice_a: int
    idop_a: str  # an online payment of A's invoice, started
    ical_token: str
    session_c: str
    regie: str

    def __repr__(self):  # shown in each failing example: the ids, not every record
        return f"World(families={self.families}, children={self.children})"

    @property
    def families(self):
        return [self.a["family_id"], self.b["family_id"]]

    @property
    def children(self):
        return [self.child_a["id"], self.child_b["id"], self.child_long["id"]]

    @property
    def prestations(self):
        return [self.prestation["id"], self.pending_prestation["id"]]

    @property
    def dates(self):
        return [d.isoformat() for d in self.days] + [dt.date.today().isoformat(), "2015-04-08"]

    @property
    def structure_ref(self):
        return {"id": self.structure["id"], "nom": self.structure["nom"]}


PERIOD = "2034-05"  # the month of family A's invoice; no other test invoices it


def invoice_for(settings, family_id, days=7):
    """An invoice of PERIOD for the family: its bookings written as children's
    booking.confirmed would be (as tests/billing do), then the month invoiced."""
    from services.billing import copies, invoicing
    from services.billing.models import Invoice
    from services.common.db import make_sessionmaker

    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        for day in range(1, days + 1):
            copies.apply_booking_confirmed(session, {
                "family_id": family_id, "child_id": 10 ** 9 + family_id, "child_name": "LÉO HOSTILE",
                "structure": "Garderie périscolaire", "prestation_code": "RESTAURATION",
                "prestation": "Garderie périscolaire Restauration scolaire", "unit": "repas",
                "date": f"{PERIOD}-{day:02d}", "responsable": "HOSTILE ALICE",
                "booking_id": 10 ** 9 + family_id * 100 + day})
        session.commit()
        invoicing.run_period(session, PERIOD, issued_on=dt.date(2034, 6, 3))
        return session.scalar(sa.select(Invoice.id).where(Invoice.family_id == family_id))
    finally:
        session.close()
        engine.dispose()


@pytest.fixture(scope="session")
def hostile_world(settings, backoffice, hostile_databases, bank_stub):
    from services.accounts import demo as accounts_demo
    from services.billing import demo as billing_demo

    bo = backoffice
    ensure_demo(settings)
    demo = accounts_demo.seed(settings)
    billing_demo.seed(settings, demo)  # the DUPONT family's invoices: another family's
    since = hostile_databases.outbox_high_water()
    a = create_family(bo, nom="HOSTILE", prenom="ALICE", password="Hostile2026",
                      email="hostile-a@example.org", autorisation_courriel=True)
    b = create_family(bo, nom="AUTRE", prenom="BRUNO", password="Autre2026x")
    c = create_family(bo, nom="CIBLE", prenom="CHLOE", password="Cible2026x",
                      email="hostile-c@example.org")
    structure = bo.call("children", "create_structure", unique("Structure hostile"))
    base = {"periode": "scolaire", "jours_semaine": [0, 1, 2, 3, 4], "capacite": 5,
            "unite": "jour", "reservation_jours": 2, "reservation_heure": 12,
            "reservation_jours_ouvres": True, "annulation_jours": 2, "annulation_heure": 12,
            "annulation_jours_ouvres": True}
    prestation = bo.call("children", "create_prestation", structure["id"], code=unique("HOST"),
                         nom="Atelier hostile", confirmation_auto=True, **base)
    pending_prestation = bo.call("children", "create_prestation", structure["id"],
                                 code=unique("HOSTP"), nom="Atelier sur demande",
                                 confirmation_auto=False, **base)
    child = {"nom": "HOSTILE", "prenom": "LÉO", "date_naissance": "2018-05-04", "sexe": "M",
             "sante": {"allergies": "Aucune"}, "autorisations": {"photos": True},
             "personnes_autorisees": [{"nom": "HOSTILE MAX", "lien": "Oncle",
                                       "telephone": "06.00.00.00.01"}]}
    child_a = bo.call("children", "create_child", a["family_id"], child)
    child_b = bo.call("children", "create_child", b["family_id"], {**child, "prenom": "BOB"})
    child_long = bo.call("children", "create_child", a["family_id"],
                         {**child, "nom": "N" * 100, "prenom": "P" * 100})
    today = dt.date.today()
    for kid, who in ((child_a, "HOSTILE ALICE"), (child_b, "AUTRE BRUNO"),
                     (child_long, "HOSTILE ALICE")):
        for p, regular in ((prestation, []), (pending_prestation, [0, 1, 2, 3, 4])):
            bo.call("children", "enrol", kid["id"], p["id"], (today - dt.timedelta(days=30)).isoformat(),
                    (today + dt.timedelta(days=400)).isoformat(), who, regular)
    days = school_days(4, today + dt.timedelta(days=10))
    bo.call("children", "book", a["family_id"], child_a["id"], prestation["id"], days[0].isoformat())
    booking = bo.call("children", "book", a["family_id"], child_a["id"], pending_prestation["id"],
                      days[1].isoformat())
    absence = bo.call("children", "declare_absence", a["family_id"], child_a["id"],
                      pending_prestation["id"], days[3].isoformat(), "Rendez-vous médical", True)
    bo.call("children", "book", a["family_id"], child_a["id"], prestation["id"], days[2].isoformat())
    preinscription = bo.call("children", "submit_preinscription", a["family_id"], {
        "nom": "HOSTILE", "prenom": "MIA", "date_naissance": "2021-01-02", "sexe": "F",
        "accueil": "Crèche", "commentaire": "Merci"})
    closure = bo.call("children", "add_closure", "2031-06-02", "Pont", prestation["id"])
    ical = bo.call("children", "renew_ical_token", a["family_id"], child_a["id"])
    ref = {"id": structure["id"], "nom": structure["nom"]}
    bo.call("messaging", "send_to_family", a["family_id"], ref, "Bienvenue", "Bonjour à tous.")
    thread_a = bo.call("messaging", "send_message", a["family_id"], ref, "Certificat",
                       "Ci-joint le certificat.", [{"filename": "certificat.pdf",
                                                    "content_base64": b64(PDF)}])
    thread_b = bo.call("messaging", "send_to_family", b["family_id"], ref, "Pour B", "Bonjour B.")
    opened = bo.call("messaging", "get_thread", a["family_id"], thread_a["id"])
    attachment = opened["messages"][0]["attachments"][0]["id"]
    request_a = bo.call("requests", "submit_request", a["family_id"], "lunettes",
                        {"lunettes": True}, child_a["id"])
    request_b = bo.call("requests", "submit_request", b["family_id"], "fiscales",
                        {"revenu_fiscal_reference": "24000", "nombre_parts": "2"})
    document = bo.call("accounts", "publish_document", "Règlement hostile", "reglement.pdf", b64(PDF))
    regie = f"HX{os.getpid() % 100000}{next(_codes)}"[:10]
    bo.call("billing", "save_regie", regie, "Régie des tests hostiles")
    invoice_demo = bo.call("billing", "statement", demo["id"], 2014)["invoices"][0]["id"]
    session_c = bo.call("accounts", "authenticate", c["identifiant"], c["password"])["session_token"]
    hostile_databases.settle(since)  # billing knows family A (family.created) before its invoice
    invoice_a = invoice_for(settings, a["family_id"])
    bo.call("billing", "update_settings", online_payment=True)  # the demo's setting
    idop_a = bo.call("billing", "start_online_payment", a["family_id"], invoice_a,
                     "hostile-a@example.org")["idop"]
    world = World(demo=demo, a=a, b=b, c=c, structure=structure, prestation=prestation,
                  pending_prestation=pending_prestation, child_a=child_a, child_b=child_b,
                  child_long=child_long,
                  days=days, booking_pending=booking["booking_id"],
                  absence_pending=absence["absence_id"], preinscription=preinscription["id"],
                  closure=closure["id"], thread_a=thread_a["id"], thread_b=thread_b["thread_id"],
                  attachment_a=attachment, request_a=request_a["id"], request_b=request_b["id"],
                  document=document["id"], invoice_demo=invoice_demo, invoice_a=invoice_a,
                  idop_a=idop_a,
                  ical_token=ical,
                  session_c=session_c, regie=regie)
    hostile_databases.settle(since)
    yield world
    try:
        bo.call("accounts", "remove_document", document["id"])
    except NotFound:  # already removed by the test of remove_document
        pass

