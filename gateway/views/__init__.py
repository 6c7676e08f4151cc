"""One module per area of the site; each exposes a blueprint."""
from gateway.views import accueil, auth, mon_compte, upcoming

REGISTERED = (auth.bp, accueil.bp, mon_compte.bp, upcoming.bp)
