"""The back office's list of families: find one by N° famille or name."""
import sqlalchemy as sa

from services.accounts.models import Family, Person
from services.common import checks


def search_families(session, search="", limit=50):
    """Families whose N° famille starts with, or whose responsable's or conjoint's name
    contains, `search` (all of them, up to `limit`, without it); by N° famille."""
    limit = max(1, min(checks.integer(limit, "Le nombre de familles"), 500))
    query = sa.select(Family).order_by(Family.numero).limit(limit)
    search = checks.text(search, "La recherche")
    if search:
        pattern = f"%{search.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(
            Family.numero.startswith(search),
            Family.id.in_(sa.select(Person.family_id).where(
                sa.or_(Person.nom.ilike(pattern), Person.prenom.ilike(pattern),
                       (Person.nom + " " + Person.prenom).ilike(pattern))))))
    result = []
    for family in session.scalars(query):
        responsable = next((p for p in family.persons if p.role == "responsable"), None)
        result.append({"id": family.id, "numero": family.numero,
                       "nom": responsable.nom if responsable else "",
                       "prenom": responsable.prenom if responsable else "",
                       "email": responsable.email if responsable else ""})
    return result
