"""Messages that depend on the children service: writing to one of the family's structures,
and a broadcast to every family enrolled in a prestation."""
from tests.children.conftest import make_child, make_prestation, unique_code
from tests.support.web import csrf_token, login, text
from tests.support.families import create_family
from tests.support.messaging import contact_known


def enrolled_family(backoffice, messaging_db, prestation, email):
    family = create_family(backoffice, nom="MOREAU", prenom="PAUL", password="Famille2026",
                           email=email, autorisation_courriel=True)
    make_child(backoffice, family["family_id"], [prestation])
    contact_known(messaging_db, family["family_id"])
    return family


def test_a_parent_writes_to_a_structure_of_its_children_from_the_page(
        client, backoffice, messaging_db):
    structure = backoffice.call("children", "create_structure", unique_code("Cantine"))
    elsewhere = backoffice.call("children", "create_structure", unique_code("Ailleurs"))
    family = enrolled_family(backoffice, messaging_db, make_prestation(backoffice, structure),
                             "ecrit@example.org")
    login(client, family["identifiant"], family["password"])
    page = client.get("/boite-de-reception/nouveau")
    assert structure["nom"] in text(page) and elsewhere["nom"] not in text(page)

    token = csrf_token(client, "/boite-de-reception/nouveau")
    refused = client.post("/boite-de-reception/nouveau", data={
        "csrf_token": token, "structure": str(elsewhere["id"]), "objet": "Bonjour",
        "message": "Texte"})
    assert refused.status_code == 400 and "choisir la structure" in text(refused)
    bad_file = client.post("/boite-de-reception/nouveau", data={
        "csrf_token": token, "structure": str(structure["id"]), "objet": "Certificat",
        "message": "Ci-joint", "pieces_jointes": (__import__("io").BytesIO(b"hello"), "note.txt")},
        content_type="multipart/form-data")
    assert bad_file.status_code == 400 and "doit être un PDF ou une image" in text(bad_file)
    assert backoffice.call("messaging", "list_threads", family["family_id"], "envoyes") == []

    sent = client.post("/boite-de-reception/nouveau", data={
        "csrf_token": token, "structure": str(structure["id"]), "objet": "Allergie",
        "message": "Mon fils est allergique aux arachides."}, follow_redirects=True)
    assert "Votre message a été envoyé." in text(sent) and "Allergie" in text(sent)
    threads = backoffice.call("messaging", "structure_threads", structure["id"])
    assert [t["subject"] for t in threads] == ["Allergie"]


def test_broadcast_to_every_family_enrolled_in_a_prestation(backoffice, messaging_db, mail_sink):
    structure = backoffice.call("children", "create_structure", unique_code("Restauration"))
    canteen = make_prestation(backoffice, structure)
    other = make_prestation(backoffice, structure)
    a = enrolled_family(backoffice, messaging_db, canteen, "cantine-a@example.org")
    b = enrolled_family(backoffice, messaging_db, canteen, "cantine-b@example.org")
    outsider = enrolled_family(backoffice, messaging_db, other, "autre-prestation@example.org")
    sent = backoffice.call("messaging", "broadcast_to_prestation", canteen["id"],
                           {"id": structure["id"], "nom": structure["nom"]},
                           "Cantine fermée vendredi", "Pas de repas vendredi.")
    assert {s["family_id"] for s in sent} == {a["family_id"], b["family_id"]}
    assert backoffice.call("messaging", "unread_count", outsider["family_id"]) == 0
    for email in ("cantine-a@example.org", "cantine-b@example.org"):
        assert len(mail_sink.wait_for(email)) == 1
