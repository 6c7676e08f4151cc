"""Hostile input (issue 8) through the gateway: every form (POST route) of the site, posted
by a logged-in parent with a valid CSRF token and generated data — unicode, control
characters, NUL bytes, very long texts, HTML and script, SQL-looking text, numbers out of
range, malformed dates, fields missing or repeated or unknown, huge files for the upload
routes — and every page (GET route) with generated query strings and path ids.

Each answer: never a 5xx, never a traceback or Python exception text, a page in French (or a
redirect, or the file asked for); a refused form (4xx) changed no row of any service
(checksums of the databases before and after, see conftest.py).

The routes are read from the Flask app's url_map: a POST route without an entry in FORMS, or
a path parameter without an entry in PATH_PARAMS, fails `test_every_route_is_covered`, naming
the route.
"""
import collections
import io
import re
import urllib.parse
import zlib
from dataclasses import dataclass, field

import pytest
from hypothesis import example, given, seed, strategies as st

from tests.hostile.conftest import (PDF, PNG, french_refusal_problem, hostile_settings,
                                    hostile_text, write_outcomes)
from tests.support.families import create_family
from tests.support.web import csrf_token, login, text

# --- form values: what a browser (or a forger) can send: texts only, but any text ---------

form_text = st.one_of(hostile_text, st.sampled_from(("-1", "0", "2147483648", "99999999999999999999",
                                                     "1e309", "NaN", "12,5", "0x10", "2026-02-30",
                                                     "2026-13", "31/12/2026", "on", "oui")))


@dataclass
class Role:
    """A form field or path segment: `real` values (the world's, well-formed) and hostile ones."""
    real: st.SearchStrategy
    hostile: st.SearchStrategy = form_text

    @property
    def any(self):
        return st.one_of(self.real, self.hostile)


def real(*values):
    return Role(st.sampled_from([str(v) for v in values]))


# Path segments a careless or hostile link may hold (quoted into the URL).
hostile_segment = st.one_of(
    st.sampled_from(("0", "-1", "2147483648", "99999999999999999999999", "abc", "1.5", "١٢",
                     "..", "%00", "1;DROP", "<script>", " ", "")),
    st.text(min_size=1, max_size=20))


def ids(*values):
    return Role(st.sampled_from([str(v) for v in values]), hostile_segment)


@dataclass
class Form:
    fields: dict = field(default_factory=dict)  # name -> lambda world: Role
    path: dict = field(default_factory=dict)  # path parameter -> lambda world: Role (else PATH_PARAMS)
    query: dict = field(default_factory=dict)
    files: str = ""  # the name of the file input, for upload routes
    client: str = "parent"  # parent (A logged in), logout, password, anonymous
    csrf: bool = True  # False: a route the bank posts to, server to server
    examples: int = 12


def kinds(*codes):
    return lambda w: Role(st.sampled_from(codes), hostile_segment)


REQUEST_FIELDS = {name: (lambda w, v=v: real(*v)) for name, v in {
    "adresse": ["1 RUE DU PORT"], "code_postal": ["31400"], "ville": ["TOULOUSE"],
    "telephone_domicile": ["05 61 00 00 00"], "mobile": ["06 12 34 56 78"],
    "email": ["parent@example.org"], "nom": ["HOSTILE"], "prenom": ["ALICE"],
    "civilite": ["Madame"], "revenu_fiscal_reference": ["25000"], "nombre_parts": ["2,5"],
    "regime_caf": ["general", "msa", "autre"], "numero_allocataire": ["1234567"],
    "quotient_familial": ["600"], "titulaire_compte": ["HOSTILE ALICE"],
    "iban": ["FR7630006000011234567890189"], "bic": ["BNPAFRPP"],
    "prelevement_automatique": ["1"], "photos": ["1"], "sorties": ["1"], "lunettes": ["1"],
    "allergies": ["Aucune"], "personnes_lignes": ["1", "0", "3"],
    "personne-0-nom": ["HOSTILE ZOÉ"], "personne-0-lien": ["Tante"],
    "personne-0-telephone": ["06 12 34 56 78"]}.items()}

FORMS = {
    "auth.login": Form(
        fields={"identifiant": lambda w: real(w.b["identifiant"], "31000000001"),
                "mot_de_passe": lambda w: real("Mauvais2026x")},
        query={"suivant": lambda w: real("/accueil", "//evil.example/", "https://evil.example/")}),
    # Each example logs in again first: the previous one ended the session.
    "auth.logout": Form(client="logout", examples=4),
    # A family of its own: a valid new password is accepted and ends its other sessions.
    "auth.change_password": Form(client="password", fields={
        "mot_de_passe_actuel": lambda w: real("Changer2026x", "Mauvais2026x"),
        "nouveau_mot_de_passe": lambda w: real("Nouveau2026x", "court"),
        "confirmation": lambda w: real("Nouveau2026x")}),
    "auth.forgotten_password": Form(fields={"identifiant": lambda w: real(w.b["identifiant"])}),
    "auth.reset_password": Form(
        path={"token": lambda w: Role(st.just("x" * 43), hostile_segment)},
        fields={"nouveau_mot_de_passe": lambda w: real("Nouveau2026x"),
                "confirmation": lambda w: real("Nouveau2026x")}),
    "change_requests.family_request": Form(
        path={"code": kinds("responsable", "conjoint", "fiscales", "caf", "bancaires")},
        fields=REQUEST_FIELDS, examples=20),
    "change_requests.child_request": Form(
        path={"code": kinds("autorisations", "personnes_autorisees", "lunettes", "sante")},
        fields=REQUEST_FIELDS, examples=16),
    "mes_enfants.request_from_agenda": Form(fields={
        "action": lambda w: real("reservation", "absence"),
        "date": lambda w: real(*w.dates),
        "prestation": lambda w: real(*w.prestations),
        "motif": lambda w: real("Rendez-vous"), "confirmation": lambda w: real("oui"),
        "mois": lambda w: real(w.dates[0][:7]), "nom": lambda w: real("Atelier")}, examples=20),
    "mes_enfants.renew_ical": Form(examples=6),
    "mes_enfants.revoke_ical": Form(examples=6),
    "mes_enfants.add_child": Form(fields={
        "nom": lambda w: real("HOSTILE"), "prenom": lambda w: real("NOÉ"),
        "date_naissance": lambda w: real("2020-02-29"), "sexe": lambda w: real("F", "M"),
        "accueil": lambda w: real("Crèche"), "commentaire": lambda w: real("Merci")}),
    "inbox.new_message": Form(files="pieces_jointes", fields={
        "structure": lambda w: real(w.structure["id"]), "objet": lambda w: real("Objet"),
        "message": lambda w: real("Bonjour")}, examples=16),
    "inbox.reply": Form(files="pieces_jointes", fields={"message": lambda w: real("Merci")}),
    "inbox.delete": Form(examples=6),
    "inbox.restore": Form(examples=6),
    "payments.pay": Form(fields={"email": lambda w: real("parent@example.org")}),
    # The bank's server posts the notification: no session, no CSRF token.
    "payments.notification": Form(client="anonymous", csrf=False, fields={
        "idOp": lambda w: real(w.idop_a, "0" * 32), "idop": lambda w: real("1" * 32)}),
}
# Path parameters of any route (GET or POST), by name: the world's ids and hostile segments.
PATH_PARAMS = {
    "child_id": lambda w: ids(*w.children),
    "thread_id": lambda w: ids(w.thread_a, w.thread_b),
    "attachment_id": lambda w: ids(w.attachment_a),
    "document_id": lambda w: ids(w.document),
    "invoice_id": lambda w: ids(w.invoice_a, w.invoice_demo),
    "token": lambda w: Role(st.just(w.ical_token), hostile_segment),
    "code": kinds("responsable", "lunettes"),
    "filename": lambda w: Role(st.just("portail.css"), hostile_segment),
}
# Query string parameters the pages read, and a stray one.
QUERY = {"mois": ["2026-11", "2026-13", "11-2026"], "jour": ["2026-12-01", "2026-02-30"],
         "prestation": ["1", "x"], "nom": ["Atelier"], "annee": ["2014", "²", "99999"],
         "dossier": ["reception", "envoyes", "supprimes"], "vue": ["famille", "enfant"],
         "type": ["lunettes", "fiscales"], "suivant": ["/accueil", "//evil.example/"],
         "idop": ["0" * 32, "%00"]}


def app_rules(app):
    return [rule for rule in app.url_map.iter_rules()]


# --- what every answer must be -----------------------------------------------------------

PYTHON_TRACES = re.compile(
    r"Traceback \(most recent call last\)|File \"/|Internal Server Error|\b(?:Key|Type|Value|"
    r"Attribute|Integrity|Data|Programming|Remote|Operational|Runtime|Name|Index|Unicode\w*)"
    r"Error\b|NoneType|werkzeug|jinja2|sqlalchemy|psycopg|nameko|kombu")
FRENCH_PAGE = re.compile(r"[éèêàâçùôî]|\b(le|la|les|de|des|du|un|une|est|pas|votre|vos)\b", re.I)


def check_answer(response, what):
    """Never a 5xx, nothing of Python, French (or a redirect, or a file)."""
    body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    assert response.status_code < 500, f"{what}: {response.status_code} {text(response)[:400]}"
    assert not PYTHON_TRACES.search(body), f"{what}: Python in the page: {body[:600]}"
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        # Out of the site only to the bank's page or the collectivity's site, never to where
        # the request said (the "suivant" of the login form).
        assert "evil.example" not in location, f"{what}: redirected to {location}"
    elif response.mimetype == "text/html":
        assert '<html lang="fr">' in body, f"{what}: not a page of the site: {body[:300]}"
        assert FRENCH_PAGE.search(text(response)), f"{what}: not in French: {text(response)[:300]}"
    elif response.mimetype == "text/plain" and response.status_code >= 400:
        problem = french_refusal_problem(type("Answer", (), {"messages": [body]})())
        assert problem is None, f"{what}: {problem}"


# --- clients ------------------------------------------------------------------------------

class Clients:
    """The Flask test clients the forms are posted with, each with its CSRF token."""

    def __init__(self, app, backoffice, world):
        self.app, self.backoffice, self.world = app, backoffice, world
        self.cache = {}

    def _logged_in(self, family):
        client = self.app.test_client()
        response = login(client, family["identifiant"], family["password"])
        assert response.status_code == 302, text(response)
        return client, csrf_token(client, "/mes-enfants/ajouter")

    def get(self, kind):
        self.app.extensions["rpc"].open_circuits.clear()  # a test may have stopped a service
        if kind == "logout":  # a new session for each example: the form ends it
            return self._logged_in(self.world.a)
        if kind not in self.cache:
            if kind == "parent":
                self.cache[kind] = self._logged_in(self.world.a)
            elif kind == "password":
                family = create_family(self.backoffice, nom="MOTDEPASSE", prenom="PAUL",
                                       password="Changer2026x")
                self.cache[kind] = self._logged_in(family)
            else:  # anonymous
                client = self.app.test_client()
                self.cache[kind] = client, csrf_token(client)
        return self.cache[kind]


# The status codes each route answered (2xx/3xx, or a 400 of the service, show that posts got
# past the first checks): .test-artifacts/hostile-forms.txt.
OUTCOMES = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def outcomes_report():
    yield
    write_outcomes("hostile-forms.txt", OUTCOMES, "{n}× {what}")


@pytest.fixture(scope="module")
def clients(app, backoffice, hostile_world):
    return Clients(app, backoffice, hostile_world)


# --- generated requests -------------------------------------------------------------------

def path_of(rule, values):
    """The rule's URL with each parameter's (quoted) value."""
    def fill(match):
        return urllib.parse.quote(values[match.group(2)], safe="")
    return re.sub(r"<(?:([a-z]+):)?(\w+)>", fill, rule.rule)


FILES = st.sampled_from([
    ("certificat.pdf", PDF), ("photo.png", PNG), ("note.txt", b"hello"), ("vide.pdf", b""),
    ("gros.pdf", PDF + b"x" * (2 * 1024 * 1024)),  # just over the 2 MB of an attachment
    ("énorme.pdf", PDF + b"x" * (11 * 1024 * 1024)),  # over the 10 MB of a request
    ("<script>.pdf", PDF), ("../../etc/passwd", PDF), ("a" * 300 + ".pdf", PDF)])


@st.composite
def form_request(draw, rule, form, w):
    """(path, data, query) of one post: real values but for one field (or all) that may be
    hostile; now and then a field left out, repeated, or unknown."""
    params = {name: (form.path.get(name) or PATH_PARAMS[name])(w) for name in rule.arguments}
    fields = {name: make(w) for name, make in form.fields.items()}
    query_roles = {name: make(w) for name, make in form.query.items()}
    every = [*(f"path:{p}" for p in params), *(f"field:{f}" for f in fields),
             *(f"query:{q}" for q in query_roles), "*"]
    target = draw(st.sampled_from(every))

    def value(kind, name, chosen):
        return draw(chosen.any if target in (f"{kind}:{name}", "*") else chosen.real)

    path = path_of(rule, {name: value("path", name, chosen) for name, chosen in params.items()})
    data = {}
    for name, chosen in fields.items():
        if target == "*" and draw(st.integers(0, 5)) == 0:
            continue  # a field missing
        data[name] = value("field", name, chosen)
        if target == "*" and draw(st.integers(0, 5)) == 0:
            data[name] = [data[name], draw(form_text)]  # the same field twice
    if target == "*" or not fields:
        data.update(draw(st.dictionaries(st.text(min_size=1, max_size=12), form_text, max_size=3)))
    query = {name: value("query", name, chosen) for name, chosen in query_roles.items()}
    if form.files:
        chosen = draw(st.lists(FILES, max_size=4))
        data[form.files] = [(io.BytesIO(content), name) for name, content in chosen]
    return path, data, query


def post_rules(app):
    return sorted((rule for rule in app_rules(app) if "POST" in rule.methods),
                  key=lambda rule: rule.endpoint)


def get_rules(app):
    return sorted((rule for rule in app_rules(app) if "GET" in rule.methods),
                  key=lambda rule: rule.endpoint)


def _routes(kind):
    from services.common import settings as settings_module
    from gateway.app import create_app

    app = create_app(settings_module.load())  # only its url_map: no call is made
    rules = post_rules(app) if kind == "POST" else get_rules(app)
    app.extensions["rpc"].close()
    return [rule.endpoint for rule in rules]


def test_every_route_is_covered(app):
    missing = [rule.endpoint for rule in post_rules(app) if rule.endpoint not in FORMS]
    params = sorted({f"{rule.endpoint}: {name}" for rule in app_rules(app) for name in rule.arguments
                     if name not in PATH_PARAMS and name not in FORMS.get(rule.endpoint, Form()).path})
    stale = sorted(set(FORMS) - {rule.endpoint for rule in post_rules(app)})
    assert not missing and not params and not stale, (
        f"tests/hostile/test_forms.py: add to FORMS {missing}, to PATH_PARAMS {params}; "
        f"remove from FORMS {stale}")


# --- the tests ----------------------------------------------------------------------------

# Calls that broke a page before the fixes of issue 8 (found by these tests), tried first.
REGRESSIONS = {
    # billing refused the NUL (ValidationError) and the gateway answered 503: the bank would
    # have retried a malformed notification forever.
    "payments.notification": lambda w: [(("/paiement/notification", {"idOp": "\x00"}, {}), "valid")],
    # The number of lines of "Personnes autorisées" went to int() (a 500), then to range():
    # 2147483648 lines held the page for ever.
    "change_requests.child_request": lambda w: [
        ((f"/mes-enfants/{w.child_a['id']}/demande/personnes_autorisees",
          {"personnes_lignes": lines}, {}), "valid") for lines in ("abc", "2147483648")],
}
# The same for pages: {endpoint: [(path values, query)]}.
GET_REGRESSIONS = {
    # "²".isdigit() is true, int("²") fails: the statement's year picker broke the page.
    "releve.statement": [({}, {"annee": "²"})], "releve.invoices": [({}, {"annee": "²"})],
    "releve.payments": [({}, {"annee": "²"})],
}


@pytest.mark.parametrize("endpoint", _routes("POST"))
def test_hostile_form_is_refused_in_french_and_changes_nothing(
        endpoint, app, clients, hostile_world, hostile_databases):
    assert endpoint in FORMS, f"no hostile form for {endpoint}: add one to FORMS"
    rule = next(rule for rule in post_rules(app) if rule.endpoint == endpoint)
    form, world, databases = FORMS[endpoint], hostile_world, hostile_databases
    since = databases.outbox_high_water()  # this test's events, not those of earlier tests

    @seed(zlib.crc32(endpoint.encode()))
    @hostile_settings(form.examples)
    @given(form_request(rule, form, world), st.sampled_from(["valid"] * 9 + ["missing", "forged"]))
    def one_post(request, token_kind):
        path, data, query = request
        client, token = clients.get(form.client)
        if form.csrf:
            data = {**data, "csrf_token": {"valid": token, "missing": [], "forged": token[::-1]}[token_kind]}
        before = databases.snapshot()
        response = client.post(path, data=data, query_string=query,
                               content_type="multipart/form-data" if form.files else None)
        changed = databases.changed(before, databases.snapshot())
        what = f"POST {path} {sorted(data)[:8]} ({token_kind} token)"
        OUTCOMES[f"POST {endpoint}"][response.status_code] += 1
        check_answer(response, what)
        if response.status_code >= 400:
            assert not changed, f"{what} was refused ({response.status_code}) but changed {changed}"
        elif any(table.endswith(".outbox_events") for table in changed):
            databases.settle(since)
        if form.csrf and token_kind != "valid":
            assert response.status_code >= 400, f"{what}: accepted without a valid CSRF token"

    for request, token_kind in REGRESSIONS.get(endpoint, lambda w: [])(world):
        one_post = example(request, token_kind)(one_post)
    one_post()


@pytest.mark.parametrize("endpoint", _routes("GET"))
def test_hostile_query_or_path_id_never_breaks_a_page(endpoint, app, clients, hostile_world):
    rule = next(rule for rule in get_rules(app) if rule.endpoint == endpoint)
    params = {name: (FORMS.get(endpoint, Form()).path.get(name) or PATH_PARAMS[name])(hostile_world)
              for name in rule.arguments}
    segment = st.fixed_dictionaries({name: chosen.any for name, chosen in params.items()})
    queries = st.dictionaries(st.one_of(st.sampled_from(sorted(QUERY)), st.text(max_size=8)),
                              st.one_of(st.sampled_from(sorted({v for vs in QUERY.values() for v in vs})),
                                        form_text), max_size=4)

    @seed(zlib.crc32(endpoint.encode()))
    @hostile_settings(5)
    @given(segment, queries, st.sampled_from(["parent", "anonymous"]))
    def one_get(values, query, who):
        client, _ = clients.get(who)
        path = path_of(rule, values)
        response = client.get(path, query_string=query)
        OUTCOMES[f"GET {endpoint}"][response.status_code] += 1
        check_answer(response, f"GET {path}?{urllib.parse.urlencode(query)[:200]} ({who})")

    for values, query in GET_REGRESSIONS.get(endpoint, ()):
        one_get = example(values, query, "parent")(one_get)
    one_get()
