"""The stub's Flask app. `create_app(settings)` like the gateway, so tests can build one."""
from flask import Flask

HOME = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Banque partenaire (simulation)</title></head>
<body>
  <h1>Banque partenaire — simulateur de paiement</h1>
  <p>Ce service simule le paiement en ligne des factures (type PayFiP) pour le Portail Famille.
     Aucun paiement réel n'est effectué.</p>
  <p>Les pages de paiement seront disponibles prochainement.</p>
</body>
</html>
"""


def create_app(settings):
    app = Flask(__name__)
    app.config["PORTAIL_SETTINGS"] = settings

    @app.get("/")
    def home():
        return HOME

    @app.get("/sante")
    def sante():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
