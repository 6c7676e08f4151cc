"""Hostile input, the cross-family matrix (issue 8): for every route and RPC method that takes
an id, another family's id is refused.

Two families, A and B, each with a child enrolled and booked (an absence declared), change
requests, an invoice (part paid, an online payment started), message threads with an
attachment, an iCal link. Logged in as B, every gateway route that takes an id (in its path,
its query string or its form) is asked with A's ids, with its method and the other one on the
same URL (GET, and POST with a valid CSRF token); every parents' RPC method that takes an id is
called with B's family_id and A's id. Each must refuse (404/403, NotFound/Forbidden with the
same French message as for a missing id), show nothing of A's, and change nothing (A's and B's
state, read through RPC and billing's payments, are compared after each case).

The matrices are checked against the code: a route of the gateway's url_map with a path
parameter, a form or query field that looks like an id, or a parents' RPC method (family_id
first) that is in neither the matrix nor the list of exemptions (each with its reason) fails
`test_every_*`, naming it: a new one must be added here.
"""
import base64
import dataclasses
import datetime as dt
import html
import io
import re
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from services.common import settings as settings_module
from services.common.db import make_engine, make_sessionmaker
from services.common.errors import Forbidden, NotFound, PortailError, ServiceUnavailable
from services.common.rpc import Call
from tests.support.entrypoints import rpc_methods
from tests.support.families import create_family
from tests.support.waiting import wait_for
from tests.support.web import csrf_token, login, text

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2033-03"  # the invoices of this file; no other test invoices this month
CHILD_KINDS = ("autorisations", "personnes_autorisees", "lunettes", "sante")
PDF = b"%PDF-1.4\n% PIECE-JOINTE-ALPHA-5512\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@dataclasses.dataclass
class Ids:
    """One family's ids, as the matrices use them."""
    family: int = 1
    child: int = 1
    structure: dict = dataclasses.field(default_factory=lambda: {"id": 1, "nom": "S"})
    prestation: int = 1
    day_booked: str = "2030-01-07"  # a confirmed booking of the child
    day_free: str = "2030-01-08"  # a bookable day, not booked
    invoice: int = 1
    idop: str = "0" * 32
    thread: int = 1
    deleted_thread: int = 1  # in the family's "Messages supprimés"
    attachment: int = 1
    request: int = 1  # a change request from the portal
    planning_request: int = 1  # requests' copy of a booking of the planning
    ical_token: str = "x"

    @property
    def month(self):
        return self.day_booked[:7]


PLACEHOLDER = Ids()  # to list the cases without a world (the enumeration tests)
MISSING = Ids(family=0, child=2_000_000_001, prestation=2_000_000_001, invoice=2_000_000_001,
              idop="f" * 32, thread=2_000_000_001, deleted_thread=2_000_000_001,
              attachment=2_000_000_001, request=2_000_000_001,
              planning_request=2_000_000_001, ical_token="y" * 40)


# --- the gateway matrix ------------------------------------------------------------------------

@dataclasses.dataclass
class Route:
    endpoint: str
    method: str
    path_values: dict = dataclasses.field(default_factory=dict)
    query: dict = dataclasses.field(default_factory=dict)
    form: dict = dataclasses.field(default_factory=dict)
    upload: bool = False  # a file in "pieces_jointes"
    statuses: tuple = (403, 404)
    refusal: str = ""  # the French words the refusal must show ("" = any of REFUSALS)
    control: bool = True  # with the family's own ids, a GET answers 200 (checks the route)

    def label(self):
        return f"{self.endpoint} {self.method} {self.path_values or ''}{self.query or ''}" \
               f"{' ' + str(sorted(self.form)) if self.form else ''}"


REFUSALS = ("introuvable", "n'existe pas", "Accès refusé", "inconnue")

REQUEST_FORMS = {  # a change each form would submit
    "autorisations": {"photos": "1", "sorties": "1", "transport": "1", "rentrer_seul": "1"},
    "personnes_autorisees": {"personnes_lignes": "1", "personne-0-nom": "INTRUS BETA",
                             "personne-0-lien": "Voisin", "personne-0-telephone": "0600000000"},
    "lunettes": {"lunettes": "1"},
    "sante": {"allergies": "Intrus", "regime_alimentaire": "", "pai": "", "medecin_traitant": "",
              "vaccinations": ""},
}


def gateway_cases(ids):
    """Every id-taking request of the site, with `ids` (another family's, for the matrix)."""
    child = {"child_id": ids.child}
    cases = [
        Route("mes_enfants.child", "GET", child),
        Route("mes_enfants.agenda", "GET", child,
              query={"mois": ids.month, "jour": ids.day_booked, "prestation": ids.prestation}),
        Route("mes_enfants.request_from_agenda", "POST", child, control=False,
              form={"action": "reservation", "prestation": ids.prestation,
                    "date": ids.day_free, "mois": ids.month}),
        Route("mes_enfants.request_from_agenda", "POST", child, control=False,
              form={"action": "absence", "prestation": ids.prestation, "date": ids.day_booked,
                    "motif": "Intrusion", "confirmation": "oui", "mois": ids.month}),
        Route("mes_enfants.request_from_agenda", "POST", child, control=False,
              form={"action": "", "prestation": ids.prestation, "date": ids.day_booked}),
        Route("mes_enfants.enrolments", "GET", child),
        Route("mes_enfants.renew_ical", "POST", child, control=False),
        Route("mes_enfants.revoke_ical", "POST", child, control=False),
        Route("fiche_inscription.child", "GET", child),
        Route("payments.pay", "GET", {"invoice_id": ids.invoice}),
        Route("payments.pay", "POST", {"invoice_id": ids.invoice}, control=False,
              form={"email": "intrus.beta@example.org"}),
        Route("releve.invoice_pdf", "GET", {"invoice_id": ids.invoice}),
        Route("inbox.thread", "GET", {"thread_id": ids.thread}),
        Route("inbox.thread", "GET", {"thread_id": ids.deleted_thread}),
        Route("inbox.reply", "POST", {"thread_id": ids.thread}, control=False, upload=True,
              form={"message": "Réponse d'un intrus"}),
        Route("inbox.delete", "POST", {"thread_id": ids.thread}, control=False),
        Route("inbox.restore", "POST", {"thread_id": ids.deleted_thread}, control=False),
        Route("inbox.attachment", "GET", {"attachment_id": ids.attachment}),
        # Ids in the query string or the form, on routes without a path parameter.
        Route("payments.back_from_bank", "GET", query={"idop": ids.idop}, control=False),
        Route("inbox.new_message", "POST", control=False, statuses=(400,),
              refusal="Veuillez choisir la structure destinataire.",
              form={"structure": ids.structure["id"], "objet": "Intrusion",
                    "message": "Message d'un intrus"}),
        # The bank's server-to-server notification: no session by design, answered 200 for a
        # known idOp; billing asks the bank for the result, so a replayed idOp changes nothing
        # of the payment (checked after: A's operation stays pending, no payment recorded).
        Route("payments.notification", "POST", control=False, statuses=(200,), refusal="OK",
              form={"idOp": ids.idop}),
    ]
    for code in CHILD_KINDS:
        cases.append(Route("change_requests.child_request", "GET", {**child, "code": code}))
        cases.append(Route("change_requests.child_request", "POST", {**child, "code": code},
                           form=REQUEST_FORMS[code], control=False))
    return cases


# Routes with a path parameter that is not an id of a family's data.
ROUTES_WITHOUT_FAMILY_IDS = {
    "static": "filename: the site's public assets (CSS, JS)",
    "auth.reset_password": "token: the single-use secret of a reset link sent by email; "
                           "holding it is the authorisation (tests/accounts)",
    "mes_enfants.ical_feed": "token: the private iCal link is its own secret, served without "
                             "login by design; renewing/revoking another family's is in the "
                             "matrix, and A's link still works after B's attempts",
    "documents.download": "document_id: the collectivity's documents, published for every "
                          "family (accounts.get_document)",
    "change_requests.family_request": "code: a kind of request (responsable, conjoint…), not an "
                                      "id; the form shows the logged-in family's own record",
}

# A form or query field whose name says it holds an id (besides the CSRF token).
ID_FIELD = re.compile(r"(^|_)id(op)?$|^id|prestation|structure|enfant|child|facture|invoice|"
                      r"thread|booking|reservation|absence|demande|request|transaction|token|"
                      r"jeton|piece|document|attachment|famille|family", re.I)
NOT_ID_FIELDS = {"csrf_token": "the form's own CSRF token",
                 "pieces_jointes": "files sent with a message, not an id",
                 "identifiant": "the login's identifiant (credentials), before any session"}


def _app_for_routes():
    """The gateway's app without services: only its url_map is read."""
    from gateway.app import create_app

    return create_app(settings_module.load(), rpc=SimpleNamespace(close=lambda: None))


def _form_and_query_fields():
    """{field name: where} of the site's forms (templates) and what the views read."""
    found = {}
    for template in sorted((ROOT / "gateway" / "templates").glob("*.html")):
        for name in re.findall(r'name="(\w+)"', template.read_text(encoding="utf-8")):
            found.setdefault(name, template.name)
    for view in sorted((ROOT / "gateway" / "views").glob("*.py")):
        source = view.read_text(encoding="utf-8")
        for name in re.findall(r'(?:request\.(?:args|form|values)|\bform)'
                               r'(?:\.get\(|\.getlist\(|\[)\s*"(\w+)"', source):
            found.setdefault(name, view.name)
        for literal in re.findall(r'form = \{([^}]*)\}', source):  # a form read field by field
            for name in re.findall(r'"(\w+)":', literal):
                found.setdefault(name, view.name)
    return found


def test_every_route_with_an_id_is_in_the_matrix():
    app = _app_for_routes()
    covered = {(c.endpoint, c.method) for c in gateway_cases(PLACEHOLDER)}
    missing, endpoints = [], set()
    for rule in app.url_map.iter_rules():
        endpoints.add(rule.endpoint)
        if not rule.arguments or rule.endpoint in ROUTES_WITHOUT_FAMILY_IDS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, ("Routes with an id parameter missing from the cross-family matrix "
                         "(add them to gateway_cases, or to ROUTES_WITHOUT_FAMILY_IDS with the "
                         "reason):\n" + "\n".join(missing))
    stale = sorted(e for e in {e for e, _ in covered} | set(ROUTES_WITHOUT_FAMILY_IDS)
                   if e not in endpoints)
    assert not stale, f"No such route any more: {stale}"


def test_every_id_field_of_a_form_or_query_string_is_in_the_matrix():
    fields = _form_and_query_fields()
    covered = {name for case in gateway_cases(PLACEHOLDER) for name in (*case.query, *case.form)}
    missing = sorted(f"{name} ({where})" for name, where in fields.items()
                     if ID_FIELD.search(name) and name not in NOT_ID_FIELDS and name not in covered)
    assert not missing, ("Form or query fields holding an id, missing from the cross-family "
                         "matrix (add a case to gateway_cases):\n" + "\n".join(missing))


# --- the RPC matrix ----------------------------------------------------------------------------

def rpc_cases(family_id, ids):
    """(service, method, args) of every parents' RPC method that takes an id: `family_id` the
    caller's, `ids` another family's (or missing ones)."""
    cases = [
        ("children", "get_child", (family_id, ids.child)),
        ("children", "planning", (family_id, ids.child, int(ids.month[:4]), int(ids.month[5:]))),
        ("children", "current_enrolments", (family_id, ids.child)),
        ("children", "book", (family_id, ids.child, ids.prestation, ids.day_free)),
        ("children", "declare_absence", (family_id, ids.child, ids.prestation, ids.day_booked,
                                         "Intrusion", True)),
        ("children", "registration_form", (family_id, ids.child, None)),
        ("children", "renew_ical_token", (family_id, ids.child)),
        ("children", "revoke_ical_token", (family_id, ids.child)),
        ("billing", "invoice_pdf", (family_id, ids.invoice)),
        ("billing", "online_payment_form", (family_id, ids.invoice)),
        ("billing", "start_online_payment", (family_id, ids.invoice, "intrus.beta@example.org")),
        ("billing", "online_payment_status", (family_id, ids.idop)),
        # Back office, but for one family: a payment of B may not settle A's invoice.
        ("billing", "record_payment", (family_id, "cheque", "1.00", None, ids.invoice)),
        ("messaging", "get_thread", (family_id, ids.thread)),
        ("messaging", "reply", (family_id, ids.thread, "Réponse d'un intrus", None)),
        ("messaging", "delete_thread", (family_id, ids.thread)),
        ("messaging", "restore_thread", (family_id, ids.deleted_thread)),
        ("messaging", "get_attachment", (family_id, ids.attachment)),
        ("requests", "family_request", (family_id, ids.request)),
        ("requests", "family_request", (family_id, ids.planning_request)),
    ]
    for code in CHILD_KINDS:
        cases.append(("requests", "request_form", (family_id, code, ids.child)))
    cases.append(("requests", "submit_request", (family_id, "lunettes", {"lunettes": True},
                                                 ids.child)))
    cases.append(("requests", "submit_request", (family_id, "autorisations",
                                                 {"photos": False, "sorties": True,
                                                  "transport": False, "rentrer_seul": True},
                                                 ids.child)))
    return cases


# Parents' methods (family_id first) with no id but the family's own: nothing to cross.
FAMILY_ONLY = {
    "accounts.get_family", "children.list_children", "children.family_structures",
    "children.submit_preinscription", "children.create_child", "billing.statement",
    "billing.account_summary", "billing.unpaid_invoices", "billing.accueil_panels",
    "billing.mandates",
    "messaging.unread_count", "messaging.list_threads", "messaging.notifications",
    "messaging.send_to_family", "requests.family_requests",
    # `structure` names one of the collectivity's structures, not a family's data: the gateway
    # offers only the family's own structures (the inbox.new_message case of the matrix).
    "messaging.send_message",
}
ID_PARAM = re.compile(r"(^|_)ids?$|^idop$|token")


def test_every_parents_rpc_method_with_an_id_is_in_the_matrix():
    """A parents' method takes family_id first (docs/reference.md); a back-office one does not
    (it sees every family: out of the matrix). Every parents' method is either in the matrix
    or in FAMILY_ONLY, which may hold no id-like parameter."""
    methods = {f"{service}.{method}": list(signature.parameters)
               for service, method, signature in rpc_methods()}
    covered = {f"{service}.{method}" for service, method, _ in rpc_cases(0, PLACEHOLDER)}
    problems = []
    for name, params in sorted(methods.items()):
        if "family_id" in params[1:]:
            problems.append(f"{name}({', '.join(params)}): family_id must come first")
        if not params or params[0] != "family_id":
            continue  # back office (or the session and reset tokens): no family to cross
        if name in covered:
            continue
        ids = [p for p in params[1:] if ID_PARAM.search(p)]
        if name not in FAMILY_ONLY:
            problems.append(f"{name}({', '.join(params)}): not in the cross-family matrix "
                            "(add it to rpc_cases, or to FAMILY_ONLY if it takes no id)")
        elif ids:
            problems.append(f"{name}({', '.join(params)}): takes {ids}, add it to rpc_cases")
    stale = sorted(covered - set(methods))
    assert not problems and not stale, "\n".join(problems + [f"no such method: {s}"
                                                             for s in stale])


# --- the two families ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def billing_session(settings, services):
    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()


def _open_school_day(day):
    from services.children import calendar

    return (day.weekday() < 5 and calendar.public_holiday(day) is None
            and calendar.school_holiday(day) is None)


def _next_days(count, start):
    days, day = [], start
    while len(days) < count:
        if _open_school_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _family(bo, billing_session, nom, prenom, password, initial, secret):
    """A family with a child enrolled in a prestation of its own structure, two days booked
    (one then declared absent), change requests, threads (one deleted) with an attachment, an
    iCal link, an invoice part paid with an online payment started."""
    from services.billing import copies, invoicing
    from services.billing.models import Invoice
    from tests.billing.conftest import unique_id

    email = f"{prenom.lower()}.{nom.lower()}@example.org"
    fam = create_family(bo, nom=nom, prenom=prenom, password=password, email=email,
                        code_postal="31400")
    fid = fam["family_id"]
    structure = bo.call("children", "create_structure", f"Structure {initial} {unique_id()}")
    prestation = bo.call("children", "create_prestation", structure["id"], **{
        "code": f"X{initial}{unique_id()}", "nom": f"Atelier {initial}", "periode": "scolaire",
        "jours_semaine": [0, 1, 2, 3, 4], "capacite": 10, "unite": "jour",
        "reservation_jours": 2, "reservation_heure": 12, "reservation_jours_ouvres": True,
        "annulation_jours": 2, "annulation_heure": 12, "annulation_jours_ouvres": True})
    child = bo.call("children", "create_child", fid, {
        "nom": nom, "prenom": secret["child"], "date_naissance": "2018-02-11", "sexe": "F",
        "ecole": f"École {initial}", "classe": "CE2", "lunettes": False,
        "sante": {"allergies": secret["allergies"], "regime_alimentaire": "", "pai": "Non",
                  "medecin_traitant": "", "vaccinations": "À jour"},
        "autorisations": {"photos": True, "sorties": False, "transport": True,
                          "rentrer_seul": False},
        "personnes_autorisees": [{"nom": f"{nom} ONCLE", "lien": "Oncle",
                                  "telephone": "06.00.00.00.01"}]})
    today = dt.date.today()
    bo.call("children", "enrol", child["id"], prestation["id"],
            (today - dt.timedelta(days=40)).isoformat(),
            (today + dt.timedelta(days=400)).isoformat(), f"{nom} {prenom}")
    absent, booked, free = _next_days(3, today + dt.timedelta(days=10))
    for day in (absent, booked):
        bo.call("children", "book", fid, child["id"], prestation["id"], day.isoformat())
    bo.call("children", "declare_absence", fid, child["id"], prestation["id"],
            absent.isoformat(), f"Rendez-vous {initial}", True)
    request = bo.call("requests", "submit_request", fid, "lunettes", {"lunettes": True},
                      child["id"])
    structure_ref = {"id": structure["id"], "nom": structure["nom"]}
    sent = bo.call("messaging", "send_message", fid, structure_ref, secret["subject"],
                   secret["body"], [{"filename": secret["filename"],
                                     "content_base64": base64.b64encode(secret["pdf"]).decode()}])
    bo.call("messaging", "structure_reply", structure["id"], sent["id"], secret["reply"])
    deleted = bo.call("messaging", "send_to_family", fid, structure_ref,
                      f"Fil supprimé {initial}", secret["deleted"])
    bo.call("messaging", "delete_thread", fid, deleted["thread_id"])
    thread = bo.call("messaging", "get_thread", fid, sent["id"])
    attachment = thread["messages"][0]["attachments"][0]["id"]
    token = bo.call("children", "renew_ical_token", fid, child["id"])

    # Billing: its copy of the family comes with family.created; bookings of PERIOD written
    # as children's booking.confirmed would (as tests/billing do), then the month invoiced.
    assert wait_for(lambda: billing_session.get(copies.Family, fid)
                      or billing_session.rollback()), "billing never received family.created"
    for day in range(1, 2 + secret["days"]):
        copies.apply_booking_confirmed(billing_session, {
            "family_id": fid, "child_id": unique_id(), "child_name": f"{secret['child']} {nom}",
            "structure": "Garderie périscolaire", "prestation_code": "RESTAURATION",
            "prestation": "Garderie périscolaire Restauration scolaire", "unit": "repas",
            "date": f"{PERIOD}-{day:02d}", "responsable": f"{nom} {prenom}",
            "booking_id": unique_id()})
    billing_session.commit()
    invoicing.run_period(billing_session, PERIOD, issued_on=dt.date(2033, 4, 3))
    invoice = billing_session.scalar(sa.select(Invoice).where(Invoice.family_id == fid))
    bo.call("billing", "record_payment", fid, "cheque", "1.00", None, invoice.id)
    started = bo.call("billing", "start_online_payment", fid, invoice.id, email)
    pdf = base64.b64decode(bo.call("billing", "invoice_pdf", fid, invoice.id)["pdf"])

    ids = Ids(family=fid, child=child["id"], structure=structure_ref, prestation=prestation["id"],
              day_booked=booked.isoformat(), day_free=free.isoformat(), invoice=invoice.id,
              idop=started["idop"], thread=sent["id"], deleted_thread=deleted["thread_id"],
              attachment=attachment, request=request["id"], ical_token=token)
    # requests' copy of a booking, from children's planning_request.submitted event.
    copies_ = wait_for(lambda: [r for r in bo.call("requests", "family_requests", fid, "enfant")
                                  if r["type"] in ("reservation", "absence")])
    assert copies_, "requests never received planning_request.submitted"
    ids.planning_request = copies_[0]["id"]
    words = [nom, prenom, secret["child"], secret["allergies"], secret["subject"], secret["body"],
             secret["reply"], secret["deleted"], secret["filename"], email, token,
             started["idop"], fam["identifiant"], invoice.numero, f"{invoice.total:.2f}",
             structure["nom"], f"Rendez-vous {initial}"]
    return SimpleNamespace(ids=ids, login=fam, words=words, year=int(PERIOD[:4]) - 1,
                           blobs=[secret["pdf"], pdf])


@pytest.fixture(scope="module")
def world(app, backoffice, settings, bank_stub, billing_session):
    from services.billing import demo as billing_demo
    from services.billing.models import Regie

    bo = backoffice
    regie = sa.select(Regie.id).where(Regie.code == billing_demo.REGIE[0])
    if billing_session.scalar(regie) is None:
        billing_demo.configure(billing_session)  # the demo's régie and tariffs
        billing_session.commit()
    bo.call("billing", "update_settings", online_payment=True)  # the demo's setting
    a = _family(bo, billing_session, "ALPHAVILLE", "ARMANDE", "Alpha2026x", "Alpha", {
        "child": "ZÉPHYRINE", "allergies": "Arachide-Alpha-8841",
        "subject": "Sujet confidentiel Alpha", "body": "Texte confidentiel Alpha 7391",
        "reply": "Réponse confidentielle Alpha 2207", "deleted": "Texte supprimé Alpha 5150",
        "filename": "certificat-alpha-4471.pdf", "pdf": PDF, "days": 7})
    b = _family(bo, billing_session, "BETAFORT", "BASILE", "Beta2026xy", "Beta", {
        "child": "BÉRÉNICE", "allergies": "Pollen-Beta-1234", "subject": "Sujet Beta",
        "body": "Texte Beta 3141", "reply": "Réponse Beta 2718", "deleted": "Texte supprimé Beta",
        "filename": "certificat-beta.pdf", "pdf": PDF.replace(b"ALPHA", b"BETA-"), "days": 2})
    app.extensions["rpc"].open_circuits.clear()
    client = app.test_client()
    assert login(client, b.login["identifiant"], b.login["password"]).status_code == 302
    b.client, b.csrf = client, csrf_token(client, "/accueil")
    a.client = app.test_client()
    assert login(a.client, a.login["identifiant"], a.login["password"]).status_code == 302
    # Each route works with the family's own ids (B's refusal of A's is about ownership), and
    # what A's own pages show trips the leak detector (it would see them in B's answers).
    for case in gateway_cases(b.ids):
        if case.method == "GET" and case.control:
            response = _request(b, case)
            assert response.status_code == 200, f"{case.label()}: {text(response)[:300]}"
    for case in gateway_cases(a.ids):
        if case.method == "GET" and case.control:
            response = _request(a, case)
            assert response.status_code == 200, f"{case.label()}: {text(response)[:300]}"
            assert _leaks(a, response.get_data()), f"{case.label()}: shows nothing of A's?"
    world = SimpleNamespace(a=a, b=b, bo=bo, billing=billing_session)
    world.initial = snapshot(world)
    return world


def _request(family, case, method=None):
    """The case's request by `family`'s client (`method`: another method on the same URL)."""
    method = method or case.method
    with family.client.application.test_request_context():
        from flask import url_for

        path = url_for(case.endpoint, **case.path_values)
    data = {name: str(value) for name, value in case.form.items()}
    if method == "POST":
        data["csrf_token"] = family.csrf
        if case.upload:
            data["pieces_jointes"] = (io.BytesIO(b"%PDF-1.4\n% intrus\n%%EOF"), "intrus.pdf")
    return family.client.open(path, method=method,
                              query_string={k: str(v) for k, v in case.query.items()},
                              data=data if method == "POST" else None)


def snapshot(world):
    """What A and B have, read through RPC (and billing's payments, which no parents' method
    lists but the statement), for before/after comparisons."""
    calls = {}
    for key, fam in (("A", world.a), ("B", world.b)):
        fid, ids = fam.ids.family, fam.ids
        months = {(int(d[:4]), int(d[5:7])) for d in (ids.day_booked, ids.day_free)}
        calls.update({
            f"{key} family": Call("accounts", "get_family", fid),
            f"{key} children": Call("children", "list_children", fid),
            f"{key} child": Call("children", "get_child", fid, ids.child),
            f"{key} enrolments": Call("children", "current_enrolments", fid, ids.child),
            **{f"{key} planning {m}": Call("children", "planning", fid, ids.child, *m)
               for m in sorted(months)},
            f"{key} ical": Call("children", "ical_feed", ids.ical_token),
            f"{key} unpaid": Call("billing", "unpaid_invoices", fid),
            f"{key} statement": Call("billing", "statement", fid, fam.year),
            f"{key} online payment": Call("billing", "online_payment_status", fid, ids.idop),
            **{f"{key} threads {box}": Call("messaging", "list_threads", fid, box)
               for box in ("reception", "envoyes", "supprimes")},
            f"{key} attachment": Call("messaging", "get_attachment", fid, ids.attachment),
            f"{key} structure threads": Call("messaging", "structure_threads",
                                             ids.structure["id"]),
            f"{key} requests": Call("requests", "family_requests", fid),
        })
    world.bo.gather(list(calls.values()))
    state = {}
    for name, call in calls.items():
        assert call.ok, f"{name}: {call.error!r}"
        result = call.result
        if name.endswith(" ical"):  # DTSTAMP is the time of the answer
            result = re.sub(r"DTSTAMP:\S+", "", result)
        state[name] = result
    from services.billing.models import OnlineTransaction, Payment

    world.billing.rollback()
    for key, fam in (("A", world.a), ("B", world.b)):
        state[f"{key} transactions"] = world.billing.execute(
            sa.select(OnlineTransaction.id, OnlineTransaction.status, OnlineTransaction.invoice_id)
            .where(OnlineTransaction.family_id == fam.ids.family)
            .order_by(OnlineTransaction.id)).all()
        state[f"{key} payments"] = world.billing.execute(
            sa.select(Payment.id, Payment.amount, Payment.invoice_id)
            .where(Payment.family_id == fam.ids.family).order_by(Payment.id)).all()
    world.billing.rollback()
    return state


def assert_unchanged(world, what):
    after = snapshot(world)
    changed = [k for k in world.initial if world.initial[k] != after[k]]
    assert not changed, f"{what} changed: " + "; ".join(
        f"{k}: {world.initial[k]!r} -> {after[k]!r}" for k in changed)


def _pdf_text(body):
    """The text of a PDF's (compressed) content streams, to look for names in it."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", body, re.S):
        try:  # reportlab's: /ASCII85Decode /FlateDecode
            stream = base64.a85decode(re.sub(rb"\s", b"", stream).removesuffix(b"~>"))
        except ValueError:
            pass
        try:
            stream = zlib.decompress(stream.strip())
        except zlib.error:
            pass
        found.append(stream.decode("latin-1"))
    # Accented letters are written as octal escapes of WinAnsi (latin-1 for French).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), "\n".join(found))


def _leaks(family, body):
    """What of the family's (names, texts, amounts, tokens, files) the answer holds."""
    raw = body.decode("utf-8", "replace")
    visible = (raw + "\n" + html.unescape(raw) + "\n" + _pdf_text(body)).casefold()
    leaked = [w for w in family.words if str(w).casefold() in visible]
    return leaked + [f"{len(blob)} bytes of a file" for blob in family.blobs if blob in body]


def assert_nothing_of(family, body, where):
    leaked = _leaks(family, body)
    assert not leaked, f"{where}: the answer shows A's {leaked}"


GATEWAY_CASES = gateway_cases(PLACEHOLDER)


@pytest.mark.parametrize("index", range(len(GATEWAY_CASES)),
                         ids=[c.label() for c in GATEWAY_CASES])
def test_another_familys_id_is_refused_by_the_gateway(world, index):
    case = gateway_cases(world.a.ids)[index]
    response = _request(world.b, case)
    where = case.label()
    assert response.status_code != 500, f"{where}: 500"
    if response.status_code in (301, 302, 303):  # a redirect must carry a French refusal
        response = world.b.client.get(response.headers["Location"])
        assert any(w in text(response) for w in REFUSALS), f"{where}: redirected, no refusal"
    else:
        assert response.status_code in case.statuses, \
            f"{where}: {response.status_code} {text(response)[:300]}"
        page = text(response) if response.mimetype == "text/html" else response.text
        words = (case.refusal,) if case.refusal else REFUSALS
        assert any(w in page for w in words), f"{where}: no French refusal in {page[:300]!r}"
        assert response.mimetype in ("text/html", "text/plain"), f"{where}: {response.mimetype}"
    assert_nothing_of(world.a, response.get_data(), where)
    # The other method on the same URL (POST with the CSRF token, or GET): refused as well.
    other = "GET" if case.method == "POST" else "POST"
    response = _request(world.b, case, other)
    assert response.status_code != 500, f"{where}, as {other}: 500"
    if case.path_values:
        assert response.status_code in (403, 404, 405), \
            f"{where}, as {other}: {response.status_code} {text(response)[:300]}"
    assert_nothing_of(world.a, response.get_data(), f"{where}, as {other}")
    assert_unchanged(world, f"after {where}")


RPC_CASES = rpc_cases(0, PLACEHOLDER)


@pytest.mark.parametrize("index", range(len(RPC_CASES)),
                         ids=[f"{s}.{m}#{i}" for i, (s, m, _) in enumerate(RPC_CASES)])
def test_another_familys_id_is_refused_by_the_rpc_api(world, index):
    service, method, args = rpc_cases(world.b.ids.family, world.a.ids)[index]
    *_, missing_args = rpc_cases(world.b.ids.family, MISSING)[index]
    where = f"{service}.{method}{args}"
    refusals = []
    for call_args in (args, missing_args):
        try:
            result = world.bo.call(service, method, *call_args)
        except ServiceUnavailable:
            pytest.fail(f"{where}: the service crashed (see its log) or did not answer")
        except (NotFound, Forbidden) as exc:
            refusals.append((type(exc).__name__, exc.messages))
        except PortailError as exc:
            refusals.append((type(exc).__name__, exc.messages))
        else:
            refusals.append(("answered", result))
    got, for_missing = refusals
    assert got[0] in ("NotFound", "Forbidden"), f"{where}: {got!r}"
    assert got == for_missing, f"{where}: {got!r}, but for a missing id {for_missing!r}"
    assert all(m and isinstance(m, str) for m in got[1]), f"{where}: no message"
    assert_nothing_of(world.a, repr(got).encode(), where)
    assert_unchanged(world, f"after {where}")


def test_a_still_has_everything(world):
    """After both matrices: A's link, thread, attachment and invoice are still A's."""
    a, bo = world.a.ids, world.bo
    assert bo.call("children", "ical_feed", a.ical_token).startswith("BEGIN:VCALENDAR")
    assert bo.call("children", "get_child", a.family, a.child)["ical_actif"] is True
    threads = bo.call("messaging", "list_threads", a.family, "envoyes")
    assert [t["messages_count"] for t in threads if t["id"] == a.thread] == [2]
    assert bo.call("messaging", "get_attachment", a.family, a.attachment)["filename"] \
        == "certificat-alpha-4471.pdf"
    assert bo.call("billing", "online_payment_status", a.family, a.idop)["status"] == "pending"
    assert_unchanged(world, "at the end")
