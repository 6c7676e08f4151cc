"""`portail-admin` takes a new family from its creation to a paid invoice, through the services'
RPC APIs only: each step is a command a back-office agent types."""
import os
import time



def _unique(prefix):
    return f"{prefix}{os.getpid() % 100000}{int(time.time() * 1000) % 100000}"


def test_a_new_family_from_creation_to_a_paid_invoice(admin, backoffice):
    # The catalogue: a structure, a canteen prestation, its régie and tariff.
    structure = admin.json("structure", "creer", "--nom", _unique("Cantine de test "))
    code = _unique("CANTINE_")
    prestation = admin.json("prestation", "creer", "--structure", structure["id"], "--code", code,
                            "--nom", "Restauration scolaire", "--periode", "scolaire",
                            "--jours", "lu,ma,je,ve", "--capacite", 30, "--unite", "repas")
    assert prestation["capacite"] == 30
    assert admin.json("capacite", "--prestation", prestation["id"], "--places", 40)["capacite"] == 40
    regie = _unique("T")[:10]
    admin.run("regie", "--code", regie, "--nom", "Régie de test")
    admin.run("tarif", "--prestation-code", code, "--regie", regie, "--libelle",
              "Restauration scolaire", "--unite", "repas", "--prix", "600:2.10,1000:3.00,3.90",
              "--hors-commune", "4.50")

    # The family and its account: the credentials are printed, to be changed at first login.
    status, out, _ = admin.run("famille", "creer", "--nom", "LEGRAND", "--prenom", "AMÉLIE",
                               "--civilite", "Madame", "--adresse", "3 RUE DES ÉCOLES",
                               "--code-postal", "31400", "--ville", "SAINT - JEAN",
                               "--email", "amelie.legrand@example.org")
    assert status == 0 and "Mot de passe initial" in out and "première connexion" in out
    identifiant = out.split("Identifiant : ")[1].split()[0]
    password = out.split("Mot de passe initial : ")[1].split()[0]
    auth = backoffice.call("accounts", "authenticate", identifiant, password)
    assert auth["account"]["must_change_password"] is True
    family = admin.json("famille", "chercher", identifiant)[0]
    assert family["nom"] == "LEGRAND"

    # A child, enrolled for a month long past, who ate at the canteen twice.
    child = admin.json("enfant", "creer", "--famille", family["id"], "--nom", "LEGRAND",
                       "--prenom", "Inès", "--naissance", "2016-05-04", "--sexe", "F")
    enrolment = admin.json("enfant", "inscrire", "--enfant", child["id"], "--prestation",
                           prestation["id"], "--debut", "2013-03-01", "--fin", "2013-03-31")
    assert enrolment["responsable"] == "LEGRAND AMÉLIE"
    for day in ("2013-03-11", "2013-03-12"):
        admin.run("presence", "--enfant", child["id"], "--prestation", prestation["id"],
                  "--date", day, "--statut", "present")

    # Invoicing: billing learns of the family and the days by events, so it may take a moment.
    deadline = time.monotonic() + 30
    while True:
        admin.run("facturation", "--periode", "2013-03")
        unpaid = admin.json("factures", "--famille", family["id"])["invoices"]
        if unpaid or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(unpaid) == 1
    invoice = unpaid[0]
    assert invoice["remaining"] == "7.80"  # two meals at the top bracket (QF unknown)

    # The payment at the régie settles it.
    payment = admin.json("reglement", "--famille", family["id"], "--mode", "cheque",
                         "--montant", invoice["remaining"], "--facture", invoice["id"],
                         "--reference", "Chèque 1234567")
    assert payment["amount"] == "7.80"
    status, out, _ = admin.run("factures", "--famille", family["id"])
    assert "Aucune facture impayée" in out


def test_refusals_are_french_and_exit_with_status_2(admin):
    status, out, err = admin.run("reglement", "--famille", 999999, "--mode", "cheque",
                                 "--montant", "10.00", check=False)
    assert status == 2 and err.startswith("erreur : ") and "Traceback" not in err
    status, _, err = admin.run("demandes", "refuser", "reservation:1", check=False)
    assert status == 2 and "motif" in err


def test_documents_are_published_listed_and_removed(admin, tmp_path):
    path = tmp_path / "reglement-interieur.pdf"
    path.write_bytes(b"%PDF-1.4 reglement interieur\n%%EOF\n")
    document = admin.json("documents", "publier", "--titre", "Règlement intérieur",
                          "--fichier", path)
    assert document["filename"] == "reglement-interieur.pdf"
    assert document["content_type"] == "application/pdf"
    assert any(d["id"] == document["id"] for d in admin.json("documents", "liste"))
    admin.run("documents", "retirer", document["id"])
    assert all(d["id"] != document["id"] for d in admin.json("documents", "liste"))


def test_messages_are_read_and_answered_from_the_tool(admin, backoffice):
    structure = admin.json("structure", "creer", "--nom", _unique("Accueil de test "))
    family = admin.json("famille", "creer", "--nom", "MESSAGER", "--prenom", "PAUL")["family"]
    sent = admin.json("messages", "envoyer", "--structure", structure["id"], "--famille",
                      family["id"], "--objet", "Sortie au musée", "--texte", "Prévoir un goûter.")
    backoffice.call("messaging", "reply", family["id"], sent["thread_id"], "Bien noté, merci.")
    threads = admin.json("messages", "liste", "--structure", structure["id"])
    assert [t["id"] for t in threads] == [sent["thread_id"]] and threads[0]["unread"] == 1
    status, out, _ = admin.run("messages", "lire", "--structure", structure["id"], sent["thread_id"])
    assert "Bien noté, merci." in out
    admin.run("messages", "repondre", "--structure", structure["id"], sent["thread_id"],
              "--texte", "Parfait.")
    thread = backoffice.call("messaging", "get_thread", family["id"], sent["thread_id"])
    assert thread["messages"][-1]["body"] == "Parfait."


def test_pending_requests_are_listed_and_decided(admin, backoffice):
    """A booking the back office must confirm: listed by the tool, accepted by it."""
    import datetime as dt

    from tests.children.conftest import next_day, open_school_day

    structure = admin.json("structure", "creer", "--nom", _unique("Garderie de test "))
    prestation = admin.json("prestation", "creer", "--structure", structure["id"], "--code",
                            _unique("GARDE_"), "--nom", "Garderie du soir", "--periode",
                            "scolaire", "--jours", "lu,ma,me,je,ve", "--capacite", 5,
                            "--unite", "jour", "--confirmation-auto", "non")
    family = admin.json("famille", "creer", "--nom", "DEMANDEUR", "--prenom", "LINA")["family"]
    child = admin.json("enfant", "creer", "--famille", family["id"], "--nom", "DEMANDEUR",
                       "--prenom", "Tom", "--naissance", "2017-01-02", "--sexe", "M")
    today = dt.date.today()
    admin.run("enfant", "inscrire", "--enfant", child["id"], "--prestation", prestation["id"],
              "--debut", today, "--fin", today + dt.timedelta(days=300))
    day = next_day(open_school_day)
    booked = backoffice.call("children", "book", family["id"], child["id"], prestation["id"],
                             day.isoformat())
    assert booked["status"] == "en_traitement"

    # The requests service keeps its copy of children's requests from their events.
    deadline, mine = time.monotonic() + 20, []
    while not mine and time.monotonic() < deadline:
        pending = admin.json("demandes", "liste")
        rows = pending if isinstance(pending, list) else pending["planning"]
        mine = [r for r in rows if r["family_id"] == family["id"]]
        time.sleep(0.3)
    assert len(mine) == 1
    ref = str(mine[0]["id"]) if isinstance(pending, list) else f"reservation:{mine[0]['id']}"
    status, out, _ = admin.run("demandes", "accepter", ref)
    assert "acceptée" in out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            r["kind"] == "reservation" and r["id"] == booked["booking_id"]
            for r in backoffice.call("children", "pending_requests")):
        time.sleep(0.2)
    assert not [r for r in backoffice.call("children", "pending_requests")
                if r["family_id"] == family["id"]]
