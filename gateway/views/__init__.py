"""One module per area of the site; each exposes a blueprint."""
from gateway.views import (accueil, auth, inbox, mes_enfants, mon_compte, payments, releve,
                           upcoming)

REGISTERED = (auth.bp, accueil.bp, mon_compte.bp, mes_enfants.bp, releve.bp, payments.bp,
              inbox.bp, upcoming.bp)
