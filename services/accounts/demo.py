"""Demo data of the guide (idempotent) and a generator of families for load tests."""
import sqlalchemy as sa

from services.accounts import families, passwords
from services.accounts.models import Credential, Family, Person
from services.common.db import make_engine, make_sessionmaker

DEMO_NUMERO = "10010018331"
DEMO_PASSWORD = "Bonbons2015"

COLLECTIVITY = {
    "name": "Mairie de Saint-Jean",
    "site_url": "https://www.mairie-saint-jean.fr/",
    "welcome_message": "Bienvenue sur le Portail Famille",
    "force_password_change": True,
}

RESPONSABLE = {
    "civilite": "Monsieur", "nom": "DUPONT", "prenom": "JEAN", "qualite": "Père",
    "situation": "Séparé", "adresse": "12 RUE DES BONBONS", "code_postal": "31400",
    "ville": "SAINT - JEAN", "telephone_domicile": "01.02.03.04.05",
    "email": "jean.dupont@wanadoo.fr", "titulaire_compte": "DUPONT JEAN",
    "autorisation_sms": False, "autorisation_courriel": True, "organisme_rattachement": "0",
}

CONJOINT = {
    "civilite": "Madame", "nom": "DUPONT", "prenom": "JEANNE",
    "adresse": "Lotissement les bons bonbons", "code_postal": "31400", "ville": "SAINT - JEAN",
    "autorisation_sms": False, "autorisation_courriel": True,
}


def _session(settings):
    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    return engine, make_sessionmaker(engine)()


def seed(settings):
    """The guide's collectivity and DUPONT family; running it again changes nothing.

    Returns the family (as get_family gives it) for the other services' demo data.
    """
    engine, session = _session(settings)
    try:
        if session.get(families.Collectivity, 1) is None:
            families.update_collectivity(session, **COLLECTIVITY)
        family_id = session.scalar(sa.select(Family.id).where(Family.numero == DEMO_NUMERO))
        if not family_id:
            family, _ = families.create_family(session, RESPONSABLE, CONJOINT, numero=DEMO_NUMERO,
                                               password=DEMO_PASSWORD)
            family_id = family["id"]
            # The demo login works at once: no forced change for the demo family.
            session.execute(sa.update(Credential).where(Credential.identifiant == DEMO_NUMERO)
                            .values(must_change_password=False))
        session.commit()
        return families.get_family(session, family_id)
    finally:
        session.close()
        engine.dispose()


FIRST_NAMES = ("JEAN", "MARIE", "PIERRE", "SOPHIE", "LUC", "CLAIRE", "PAUL", "JULIE", "ANNE",
               "MARC", "LÉA", "HUGO", "EMMA", "LOUIS", "CHLOÉ", "NICOLAS", "CAMILLE", "THOMAS")
LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND",
              "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID")
STREETS = ("RUE DES ÉCOLES", "AVENUE JEAN JAURÈS", "CHEMIN DES VIGNES", "PLACE DE LA MAIRIE",
           "IMPASSE DES LILAS", "BOULEVARD VICTOR HUGO", "ALLÉE DES PINS")


def load_numero(index):
    return f"2{index:010d}"


def generate_families(settings, n, password=DEMO_PASSWORD):
    """N realistic families for load tests, identifiants 20000000001…; returns them.

    Bulk-inserted (one password hash shared) so that thousands take seconds; idempotent.
    """
    engine, session = _session(settings)
    try:
        password_hash = passwords.hash_password(password)
        existing = set(session.scalars(sa.select(Family.numero).where(Family.numero.like("2%"))))
        numeros = [load_numero(i) for i in range(1, n + 1)]
        for start in range(0, n, 1000):
            batch = [numero for numero in numeros[start:start + 1000] if numero not in existing]
            for numero in batch:
                i = int(numero)
                nom, prenom = LAST_NAMES[i % len(LAST_NAMES)], FIRST_NAMES[i % len(FIRST_NAMES)]
                family = Family(numero=numero)
                family.persons = [Person(
                    role="responsable", civilite="Madame" if i % 2 else "Monsieur", nom=nom,
                    prenom=prenom, qualite="Mère" if i % 2 else "Père", situation="Marié",
                    adresse=f"{i % 120 + 1} {STREETS[i % len(STREETS)]}", code_postal="31400",
                    ville="SAINT - JEAN", mobile=f"06.{i % 100:02d}.{i // 100 % 100:02d}.00.00",
                    email=f"famille{numero}@example.org", titulaire_compte=f"{nom} {prenom}",
                    autorisation_courriel=True)]
                session.add(family)
            session.flush()
            ids = dict(session.execute(sa.select(Family.numero, Family.id)
                                       .where(Family.numero.in_(batch))).all())
            session.execute(sa.insert(Credential), [
                {"family_id": ids[numero], "identifiant": numero, "password_hash": password_hash,
                 "must_change_password": False} for numero in batch])
            session.commit()
        return numeros
    finally:
        session.close()
        engine.dispose()
