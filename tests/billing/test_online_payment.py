"""Online payment through the real bank stub process and the gateway served over HTTP:
success, refusal, cancellation, lost notification settled by the sweep, duplicated and
replayed notifications, forged idOp, mismatched result, expiry, refusals in French."""
import concurrent.futures
import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from services.billing import copies, invoicing
from services.billing.models import Invoice, OnlineTransaction, Payment
from services.common.events import outbox_events
from tests.billing.conftest import unique_id
from tests.support.waiting import wait_for
from tests.support.web import login, text
from tests.support.families import create_family

PERIOD = "2031-09"  # every payer's invoice; re-running the period only adds the new ones


@pytest.fixture
def payer(bo, db, demo_billing, live_gateway, stub_normal, client):
    """A logged-in family with one 16.00 invoice to pay, online payment on."""
    bo.call("billing", "update_settings", online_payment=True)
    family = create_family(bo, nom="PAYEUR", prenom="PAUL", password="Famille2026",
                           email="paul.payeur@example.org", code_postal="31400")
    family_id = family["family_id"]
    assert wait_for(lambda: db.get(copies.Family, family_id) or db.rollback())
    child = unique_id()
    for day in range(8, 13):
        copies.apply_booking_confirmed(db, {
            "family_id": family_id, "child_id": child, "child_name": "PAULINE PAYEUR",
            "structure": "S", "prestation_code": "RESTAURATION",
            "prestation": "Garderie périscolaire Restauration scolaire", "unit": "repas",
            "date": f"2031-09-{day:02d}", "responsable": "PAYEUR PAUL", "booking_id": unique_id()})
    db.commit()
    invoicing.run_period(db, PERIOD, issued_on=dt.date(2031, 10, 3))
    invoice = db.scalar(sa.select(Invoice).where(Invoice.family_id == family_id))
    assert invoice.total == 16
    login(client, family["identifiant"], family["password"])
    return {**family, "invoice": invoice, "client": client}


def start_payment(payer, email="recu@example.org"):
    """Card icon → email form → redirected to the stub's page; returns the idOp."""
    client, invoice = payer["client"], payer["invoice"]
    form = client.get(f"/paiement/facture/{invoice.id}")
    assert form.status_code == 200
    assert "16.00 €" in text(form) and "paul.payeur@example.org" in form.text  # prefilled
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = client.post(f"/paiement/facture/{invoice.id}", data={"email": email, "csrf_token": token})
    assert response.status_code == 303, text(response)
    location = response.headers["Location"]
    idop = parse_qs(urlsplit(location).query)["idop"][0]
    page = requests.get(location, timeout=5)
    assert page.status_code == 200 and "16.00 €" in page.text and email in page.text
    return idop


def pay_at_stub(stub, idop, card="4111 1111 1111 1111", action="payer"):
    response = requests.post(f"{stub.url}/paiement", allow_redirects=False, timeout=5,
                             data={"idop": idop, "numero_carte": card, "action": action})
    assert response.status_code == 303
    return response.headers["Location"]  # urlredirect?idop=…


def transaction(db, idop):
    db.rollback()  # a fresh snapshot
    return db.scalar(sa.select(OnlineTransaction).where(OnlineTransaction.idop == idop))


def payments_of(db, invoice_id):
    db.rollback()
    return db.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()


def back_to_portal(payer, location):
    parts = urlsplit(location)
    return payer["client"].get(f"{parts.path}?{parts.query}")


def test_successful_payment_is_recorded_once_with_the_receipt_email(payer, stub_normal, db, bo,
                                                                     billing_engine):
    idop = start_payment(payer, "recu.paul@example.org")
    location = pay_at_stub(stub_normal, idop)
    assert wait_for(lambda: transaction(db, idop).status == "paid")
    (payment,) = payments_of(db, payer["invoice"].id)
    assert payment.mode == "carte" and payment.amount == 16 and payment.transaction_id
    page = text(back_to_portal(payer, location))
    assert "Votre paiement de 16.00 € pour la facture" in page and "recu.paul@example.org" in page
    releve = text(payer["client"].get("/releve-de-compte"))  # paid today
    assert "Règlement : Carte bancaire" in releve
    assert bo.call("billing", "unpaid_invoices", payer["family_id"])["invoices"] == []
    with billing_engine.connect() as conn:
        event = conn.scalar(sa.select(outbox_events.c.payload).where(
            outbox_events.c.event_type == "payment.recorded",
            outbox_events.c.payload["data"]["payment_id"].as_integer() == payment.id))
    assert event["data"]["email"] == "recu.paul@example.org"
    assert event["data"]["mode_label"] == "Carte bancaire" and event["data"]["amount"] == "16.00"
    # Paying it again is refused in French.
    again = payer["client"].get(f"/paiement/facture/{payer['invoice'].id}")
    assert again.status_code == 409 and "est déjà réglée" in text(again)


@pytest.mark.parametrize("card, action, status, message", [
    ("4000 0000 0000 0002", "payer", "refused", "Votre paiement a été refusé par la banque."),
    ("", "annuler", "cancelled", "Vous avez annulé le paiement.")])
def test_refused_or_cancelled_payment_leaves_the_invoice_unpaid(payer, stub_normal, db, bo,
                                                                card, action, status, message):
    idop = start_payment(payer)
    location = pay_at_stub(stub_normal, idop, card, action)
    assert wait_for(lambda: transaction(db, idop).status == status)
    assert message in text(back_to_portal(payer, location))
    assert payments_of(db, payer["invoice"].id) == []
    assert bo.call("billing", "unpaid_invoices", payer["family_id"])["total"] == "16.00"


def test_a_lost_notification_is_settled_by_the_sweep(payer, stub_normal, db, bo):
    stub_normal.control("notifications", {"mode": "perte"})
    idop = start_payment(payer)
    pay_at_stub(stub_normal, idop)
    assert transaction(db, idop).status == "pending"
    swept = bo.call("billing", "sweep_online_payments", 0)
    assert swept.get("paid", 0) >= 1
    assert transaction(db, idop).status == "paid" and transaction(db, idop).notified_at is None
    assert len(payments_of(db, payer["invoice"].id)) == 1


def test_duplicated_notifications_record_one_payment(payer, stub_normal, db):
    stub_normal.control("notifications", {"mode": "double", "copies": 5})
    idop = start_payment(payer)
    pay_at_stub(stub_normal, idop)
    assert wait_for(lambda: stub_normal.operation(idop)["acknowledged"] == 5)
    assert transaction(db, idop).status == "paid"
    assert len(payments_of(db, payer["invoice"].id)) == 1


def test_ten_concurrent_replays_record_one_payment(payer, stub_normal, db, live_gateway):
    stub_normal.control("notifications", {"mode": "perte"})
    idop = start_payment(payer)
    pay_at_stub(stub_normal, idop)

    def notify(_):
        return requests.post(f"{live_gateway}/paiement/notification", data={"idOp": idop},
                             timeout=10).status_code
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(notify, range(10)))
    assert codes == [200] * 10
    assert transaction(db, idop).status == "paid"
    assert len(payments_of(db, payer["invoice"].id)) == 1


def test_a_notification_is_retried_until_billing_acknowledges_it(payer, stub_normal, db, services):
    stub_normal.control("notifications", {"mode": "normal", "backoff": 0.5})
    idop = start_payment(payer)
    with services.down("billing"):
        pay_at_stub(stub_normal, idop)
        assert wait_for(lambda: stub_normal.operation(idop)["attempts"] >= 2, timeout=15)
    assert wait_for(lambda: transaction(db, idop).status == "paid", timeout=40)
    assert wait_for(lambda: stub_normal.operation(idop)["acknowledged"] == 1)
    assert len(payments_of(db, payer["invoice"].id)) == 1


def test_a_forged_idop_is_rejected_and_nothing_recorded(payer, live_gateway, db):
    before = db.scalar(sa.select(sa.func.count()).select_from(Payment))
    for forged in ("0" * 32, "'; DROP TABLE payments; --", "x" * 200):
        response = requests.post(f"{live_gateway}/paiement/notification", data={"idOp": forged},
                                 timeout=5)
        assert response.status_code in (400, 404)
    page = payer["client"].get("/paiement/retour?idop=" + "0" * 32)
    assert page.status_code == 404 and "Opération de paiement inconnue." in text(page)
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Payment)) == before


def test_a_result_with_another_amount_is_held_for_review(payer, stub_normal, db, bo):
    stub_normal.control("notifications", {"mode": "perte"})
    idop = start_payment(payer)
    pay_at_stub(stub_normal, idop)
    stub_normal.control(f"operations/{idop}/falsifier", {"montant": "100"})
    stub_normal.control(f"operations/{idop}/notifier")
    assert wait_for(lambda: transaction(db, idop).status == "review")
    assert "montant" in transaction(db, idop).review_reason
    assert payments_of(db, payer["invoice"].id) == []
    assert any(t["idop"] == idop for t in bo.call("billing", "online_payments_for_review"))
    assert bo.call("billing", "unpaid_invoices", payer["family_id"])["total"] == "16.00"


def test_an_operation_expires_after_15_minutes(payer, stub_normal, db, bo):
    idop = start_payment(payer)
    stub_normal.control(f"operations/{idop}/expirer")
    page = requests.get(f"{stub_normal.url}/paiement?idop={idop}", timeout=5)
    assert page.status_code == 410 and "expiré" in page.text
    refused = requests.post(f"{stub_normal.url}/paiement", data={"idop": idop, "numero_carte":
                            "4111111111111111", "action": "payer"}, allow_redirects=False, timeout=5)
    assert refused.status_code == 409
    bo.call("billing", "sweep_online_payments", 0)
    assert transaction(db, idop).status == "expired"
    assert payments_of(db, payer["invoice"].id) == []


def test_another_familys_invoice_cannot_be_paid(payer, demo_billing, db):
    al36 = db.scalar(sa.select(Invoice).where(Invoice.numero == "AL-36"))
    client = payer["client"]
    page = client.get(f"/paiement/facture/{al36.id}")
    assert page.status_code == 404 and "Facture introuvable." in text(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/accueil").text).group(1)
    post = client.post(f"/paiement/facture/{al36.id}", data={"email": "x@example.org",
                                                              "csrf_token": token})
    assert post.status_code == 404
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(OnlineTransaction)
                     .where(OnlineTransaction.invoice_id == al36.id)) == 0


def test_a_bad_email_is_refused_in_french(payer):
    client, invoice = payer["client"], payer["invoice"]
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(f"/paiement/facture/{invoice.id}").text).group(1)
    response = client.post(f"/paiement/facture/{invoice.id}", data={"email": "pas-un-mail",
                                                                    "csrf_token": token})
    assert response.status_code == 400
    assert "Veuillez saisir une adresse e-mail valide" in text(response)


def test_online_payment_off_hides_the_card_and_refuses(payer, bo):
    client, invoice = payer["client"], payer["invoice"]
    assert f"/paiement/facture/{invoice.id}" in client.get("/accueil").text
    bo.call("billing", "update_settings", online_payment=False)
    try:
        assert f"/paiement/facture/{invoice.id}" not in client.get("/accueil").text
        page = client.get(f"/paiement/facture/{invoice.id}")
        assert page.status_code == 403
        assert "Le paiement en ligne n'est pas proposé par votre collectivité." in text(page)
    finally:
        bo.call("billing", "update_settings", online_payment=True)


DISORDER_PERIODS = ("2032-01", "2032-02")  # this test's invoices only


def _family_with_invoices(bo, db, index, meals):
    """A family with one invoice per period of DISORDER_PERIODS, of `meals[i]` meals each."""
    family = create_family(bo, nom="DESORDRE", prenom=f"FAMILLE{index}", password="Famille2026",
                           email=f"desordre{index}@example.org", code_postal="31400")
    family_id = family["family_id"]
    assert wait_for(lambda: db.get(copies.Family, family_id) or db.rollback())
    child = unique_id()
    for period, count in zip(DISORDER_PERIODS, meals):
        for day in range(8, 8 + count):
            copies.apply_booking_confirmed(db, {
                "family_id": family_id, "child_id": child, "child_name": f"ENFANT{index} DESORDRE",
                "structure": "S", "prestation_code": "RESTAURATION",
                "prestation": "Garderie périscolaire Restauration scolaire", "unit": "repas",
                "date": f"{period}-{day:02d}", "responsable": f"DESORDRE FAMILLE{index}",
                "booking_id": unique_id()})
    db.commit()
    return family


def _pay_online(app, stub, family, invoices):
    """One parent pays their invoices one after the other: [(invoice, card, action)] → the
    idOps, in the same order."""
    web = app.test_client()
    assert login(web, family["identifiant"], family["password"]).status_code == 302
    idops = []
    for invoice, card, action in invoices:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          web.get(f"/paiement/facture/{invoice.id}").text).group(1)
        started = web.post(f"/paiement/facture/{invoice.id}", data={
            "email": f"recu{invoice.id}@example.org", "csrf_token": token})
        assert started.status_code == 303, text(started)
        idop = parse_qs(urlsplit(started.headers["Location"]).query)["idop"][0]
        pay_at_stub(stub, idop, card, action)
        idops.append(idop)
    return idops


def test_notifications_duplicated_delayed_and_reordered_pay_each_invoice_once(
        bo, db, demo_billing, live_gateway, stub_normal, app):
    """Several families pay several invoices at once; the bank holds every notification, then
    sends them late, newest first, three times over. Each invoice is paid once, by its own
    payment; the refused and the cancelled ones record nothing."""
    bo.call("billing", "update_settings", online_payment=True)
    families = [_family_with_invoices(bo, db, i, (i + 1, i + 2)) for i in range(4)]
    for period in DISORDER_PERIODS:
        invoicing.run_period(db, period, issued_on=dt.date(2032, int(period[-2:]) + 1, 3))
    invoices = {f["family_id"]: db.scalars(sa.select(Invoice).where(
        Invoice.family_id == f["family_id"]).order_by(Invoice.period_start)).all()
        for f in families}
    assert all(len(found) == 2 for found in invoices.values())
    accepted, refused, cancelled = ("4111 1111 1111 1111", "payer"), \
        ("4000 0000 0000 0002", "payer"), ("", "annuler")
    plans = {f["family_id"]: [accepted, accepted] for f in families}
    plans[families[0]["family_id"]][1] = refused
    plans[families[1]["family_id"]][0] = cancelled
    operations = sum(len(plan) for plan in plans.values())
    stub_normal.control("notifications", {"mode": "desordre", "hold": operations, "copies": 3,
                                          "delay": 0.3})

    def pay(family):
        plan = plans[family["family_id"]]
        return family, _pay_online(app, stub_normal, family, [
            (invoice, *step) for invoice, step in zip(invoices[family["family_id"]], plan)])
    with concurrent.futures.ThreadPoolExecutor(len(families)) as pool:
        paid = list(pool.map(pay, families))
    expected = {}  # idop -> (family, invoice, outcome)
    for family, idops in paid:
        for idop, invoice, step in zip(idops, invoices[family["family_id"]],
                                       plans[family["family_id"]]):
            expected[idop] = (family["family_id"], invoice, {accepted: "paid", refused: "refused",
                                                             cancelled: "cancelled"}[step])

    assert wait_for(lambda: all(stub_normal.operation(idop)["acknowledged"] == 3
                                for idop in expected), timeout=30)
    state = requests.get(f"{stub_normal.url}/controle/notifications", timeout=5).json()
    (batch,) = state["released"]  # held until the last payment, then newest first, 3 rounds
    assert sorted(batch) == sorted(expected) and state["held"] == []
    assert state["delivered"] == list(reversed(batch)) * 3

    db.rollback()
    family_ids = [f["family_id"] for f in families]
    payments = db.scalars(sa.select(Payment).where(Payment.family_id.in_(family_ids))).all()
    for idop, (family_id, invoice, outcome) in expected.items():
        tx = transaction(db, idop)
        assert (tx.family_id, tx.invoice_id, tx.status) == (family_id, invoice.id, outcome)
        mine = [p for p in payments if p.invoice_id == invoice.id]
        if outcome == "paid":
            (payment,) = mine  # exactly once, by its own transaction
            assert (payment.transaction_id, payment.family_id, payment.amount) == \
                (tx.id, family_id, invoice.total)
        else:
            assert mine == []
    paid_count = sum(outcome == "paid" for _, _, outcome in expected.values())
    assert len(payments) == paid_count  # no other payment, none on another invoice
    with db.get_bind().connect() as conn:  # one payment.recorded event each
        recorded = conn.scalars(sa.select(
            outbox_events.c.payload["data"]["payment_id"].as_integer()).where(
            outbox_events.c.event_type == "payment.recorded",
            outbox_events.c.payload["data"]["family_id"].as_integer().in_(family_ids))).all()
    assert sorted(recorded) == sorted(p.id for p in payments)
    for family_id in invoices:
        unpaid = {i["numero"] for i in bo.call("billing", "unpaid_invoices", family_id)["invoices"]}
        assert unpaid == {invoice.numero for idop, (fid, invoice, outcome) in expected.items()
                          if fid == family_id and outcome != "paid"}
