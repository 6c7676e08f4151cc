"""One module per area of the site; each exposes a blueprint."""
from gateway.views import (accueil, auth, change_requests, demandes, documents, fiche_inscription, inbox, mes_enfants,
                           mon_compte, payments, releve, upcoming)

REGISTERED = (auth.bp, accueil.bp, mon_compte.bp, mes_enfants.bp, releve.bp, payments.bp,
              inbox.bp, documents.bp, fiche_inscription.bp, change_requests.bp, demandes.bp,
              upcoming.bp)
