"""The "Liste des demandes": requests of less than one month (and pending ones) in the
guide's tables, the Mon compte / Mes enfants switch, the filter by type, and the copies of
the children's reservation and absence requests."""
import datetime as dt
import uuid

import sqlalchemy as sa
from kombu import Connection, Producer

from services.common.events import event_exchange
from services.requests.models import ChangeRequest
from tests.requests.conftest import wait_page
from tests.support.web import text


def _submit(backoffice, family_id, code, values, child_id=None):
    return backoffice.call("requests", "submit_request", family_id, code, values, child_id)


def _age(requests_db, request_id, days):
    """Move a request back in time, as if made (and decided) `days` ago."""
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    with requests_db.begin() as conn:
        conn.execute(sa.update(ChangeRequest).where(ChangeRequest.id == request_id)
                     .values(requested_at=moment, decided_at=sa.case(
                         (ChangeRequest.decided_at.is_(None), None), else_=moment)))


def _publish(settings, event_type, data, occurred_at):
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type, "source": "children",
                "occurred_at": occurred_at, "data": data}
    with Connection(settings.amqp_uri) as conn:
        Producer(conn).publish(envelope, exchange=event_exchange("children"),
                               routing_key=event_type, serializer="json")


def test_tables_filters_and_the_one_month_window(parent, backoffice, family, requests_db):
    family_id = family["family_id"]
    fiscal = _submit(backoffice, family_id, "fiscales",
                     {"revenu_fiscal_reference": "21000", "nombre_parts": "2"})
    backoffice.call("requests", "refuse_request", fiscal["id"], "Avis d'imposition illisible")
    caf = _submit(backoffice, family_id, "caf", {"regime_caf": "autre"})
    backoffice.call("requests", "accept_request", caf["id"])
    old = _submit(backoffice, family_id, "responsable",
                  {"adresse": "1 RUE ANCIENNE", "code_postal": "31400", "ville": "SAINT - JEAN",
                   "email": "famille.roux@example.org", "autorisation_courriel": True})
    backoffice.call("requests", "accept_request", old["id"])
    _age(requests_db, old["id"], 40)  # more than a month ago: no longer listed
    pending = _submit(backoffice, family_id, "bancaires",
                      {"titulaire_compte": "ROUX NINA", "iban": "FR7630006000011234567890189",
                       "bic": "BNPAFRPPXXX"})
    _age(requests_db, pending["id"], 40)  # still pending: listed whatever its age

    page = text(parent.get("/liste-des-demandes"))
    for words in ("Liste des demandes", "Mon compte", "Mes enfants", "Responsable", "Conjoint",
                  "Fiscales", "CAF", "Bancaires", "Demandes refusées", "Demandes acceptées",
                  "Demandes en attente", "Date refus Motif refus", "Date acceptation",
                  "Avis d'imposition illisible", "Régime : Autre", "IBAN : ••••0189"):
        assert words in page, words
    assert "1 RUE ANCIENNE" not in page and "FR76" not in page
    day_40 = (dt.date.today() - dt.timedelta(days=40)).strftime("%d/%m/%Y")
    assert day_40 in page  # the old pending request, with its date

    fiscales = text(parent.get("/liste-des-demandes?vue=famille&type=fiscales"))
    assert "Revenu fiscal de référence (€) Nombre de parts Date demande Date refus Motif refus" \
        in fiscales
    assert "ROUX NINA 21000 2" in fiscales and "Régime" not in fiscales
    responsable = text(parent.get("/liste-des-demandes?vue=famille&type=responsable"))
    assert "Qualité Adresse" in responsable and responsable.count("Aucune demande.") == 3

    children = text(parent.get("/liste-des-demandes?vue=enfant"))
    for words in ("Autorisations", "Données sanitaires", "Réservations", "Absences",
                  "Pré-inscriptions"):
        assert words in children, words
    assert "Avis d'imposition" not in children
    assert parent.get("/liste-des-demandes?vue=famille&type=absence").status_code == 404
    assert parent.get("/liste-des-demandes?vue=autre").status_code == 404


def test_reservations_and_absences_from_the_planning_are_listed(settings, parent, family):
    family_id = family["family_id"]
    common = {"family_id": family_id, "child_id": 424242, "child_name": "TOM ROUX",
              "structure": "Accueil de Loisirs", "prestation_code": "ALSH_VAC_J",
              "prestation": "ALSH Vacances journée", "unit": "jour", "date": "2031-07-08",
              "responsable": "ROUX NINA", "motif": "", "motif_refus": ""}
    now = dt.datetime.now(dt.timezone.utc)
    _publish(settings, "planning_request.submitted",
             {**common, "kind": "reservation", "request_id": 9001, "status": "en_traitement"},
             now.isoformat())
    _publish(settings, "planning_request.submitted",
             {**common, "kind": "absence", "request_id": 9002, "status": "en_traitement",
              "motif": "Malade"}, now.isoformat())
    _publish(settings, "planning_request.decided",
             {**common, "kind": "absence", "request_id": 9002, "status": "refusee",
              "motif": "Malade", "motif_refus": "Hors délai"},
             (now + dt.timedelta(seconds=1)).isoformat())
    wait_page(parent, "/liste-des-demandes?vue=enfant&type=reservation",
              ["TOM ROUX ALSH Vacances journée 08/07/2031", "En attente de traitement"])
    absences = wait_page(parent, "/liste-des-demandes?vue=enfant&type=absence",
                         ["Hors délai", "Malade"])
    assert "Prestation Jour Motif Date demande Date refus Motif refus" in absences
