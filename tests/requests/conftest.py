"""Requests fixtures: families and a child, a parent's logged-in client, the request forms
as a parent fills them, and the requests/billing databases for what pages don't show."""
import pytest
import sqlalchemy as sa

from tests.support.families import create_family
from tests.support.waiting import wait_for
from tests.support.web import csrf_token, login, text

ADDRESS = {"adresse": "12 RUE DES BONBONS", "code_postal": "31400", "ville": "SAINT - JEAN",
           "email": "famille.roux@example.org", "autorisation_courriel": True}
CHILD = {"nom": "ROUX", "prenom": "TOM", "date_naissance": "2017-03-02", "sexe": "M",
         "lunettes": False,
         "sante": {"allergies": "Pollen", "regime_alimentaire": "", "pai": "Non",
                   "medecin_traitant": "Dr PETIT", "vaccinations": "À jour"},
         "autorisations": {"photos": True, "sorties": False, "transport": True,
                           "rentrer_seul": False},
         "personnes_autorisees": [{"nom": "ROUX PAUL", "lien": "Oncle",
                                   "telephone": "06.00.00.00.01"}]}


@pytest.fixture
def family(backoffice):
    return create_family(backoffice, nom="ROUX", prenom="NINA", password="Famille2026",
                         **ADDRESS)


@pytest.fixture
def other_family(backoffice):
    return create_family(backoffice, nom="AUTRE", prenom="ALICE", password="Autre2026x")


@pytest.fixture
def parent(client, family):
    login(client, family["identifiant"], family["password"])
    return client


@pytest.fixture
def child(backoffice, family):
    return backoffice.call("children", "create_child", family["family_id"], CHILD)


@pytest.fixture(scope="session")
def requests_db(service_db):
    """Tests only: to age a request or look at what is stored (nobody else reads it)."""
    return service_db["requests"]


@pytest.fixture(scope="session")
def accounts_db(service_db):
    return service_db["accounts"]


@pytest.fixture(scope="session")
def billing_db(service_db):
    return service_db["billing"]


def form_data(values, **changes):
    """A request form as the browser posts it: today's values, some changed; a ticked
    checkbox sends "1", an unticked one nothing."""
    data = {}
    for name, value in {**values, **changes}.items():
        if value is True:
            data[name] = "1"
        elif value is False or value is None:
            continue
        elif isinstance(value, list):  # personnes autorisées: one line of inputs each
            data["personnes_lignes"] = str(len(value))
            for i, person in enumerate(value):
                for part in ("nom", "lien", "telephone"):
                    data[f"personne-{i}-{part}"] = person.get(part, "")
        else:
            data[name] = value
    return data


def post_request(client, path, backoffice, family_id, code, child_id=None, **changes):
    """Fill the form at `path` (pre-filled with today's values) and press Enregistrer."""
    values = backoffice.call("requests", "request_form", family_id, code, child_id)["values"]
    if code == "bancaires":
        values["iban"] = ""  # known only masked: the form asks for the whole IBAN
    data = form_data(values, **changes)
    data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data)


def wait_page(client, path, words, timeout=20):
    """The page once the owner applied the accepted request (events are asynchronous)."""
    shown = wait_for(lambda: (lambda t: all(w in t for w in words) and t)(text(client.get(path))),
                       timeout=timeout)
    assert shown, f"{path} never showed {words}: {text(client.get(path))}"
    return shown


def stored_requests(requests_db, family_id):
    from services.requests.models import ChangeRequest

    with requests_db.connect() as conn:
        return conn.execute(sa.select(ChangeRequest).where(ChangeRequest.family_id == family_id)
                            .order_by(ChangeRequest.id)).all()
