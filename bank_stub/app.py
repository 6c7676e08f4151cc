"""The stub's Flask app, imitating PayFiP (DESIGN.md, "Payments"). `create_app(settings)`.

The merchant (billing) asks for an operation id with the PayFiP parameters; the parent pays on
the stub's page with a test card; the stub calls the merchant's urlnotif server-to-server with
the idOp only, retrying until it gets a 2xx, and sends the browser back to urlredirect; the
merchant then asks for the result. State is in memory, behind a lock: a restart forgets the
operations, as a test bank may.

Control endpoints (tests, demos) make notifications late, lost, duplicated or out of order,
expire an operation, or falsify what the result reports.
"""
import datetime as dt
import logging
import re
import secrets
import threading
import time
from urllib.parse import urlencode

import requests
from flask import Flask, abort, jsonify, redirect, render_template_string, request

log = logging.getLogger("bank_stub")

LIFETIME = 15 * 60  # an idOp lives 15 minutes
TEST_CARDS = {  # number -> (resultrans, what the page says it does)
    "4111111111111111": ("P", "paiement accepté"),
    "4000000000000002": ("R", "paiement refusé"),
}
MAX_ATTEMPTS = 20
FIELDS = ("numcli", "exer", "refdet", "objet", "montant", "mel", "urlnotif", "urlredirect", "saisie")


class Bank:
    """Operations and the notification behaviour, shared by the server's threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.operations = {}
        self.held = []  # idOps whose notification "desordre" holds back, in payment order
        self.reset()

    def reset(self):
        with self.lock:
            # mode: normal | retard (delay seconds first) | perte (never sent) | double (copies)
            # | desordre: held until `hold` operations are finished, then, after `delay`
            # seconds, sent newest first, `copies` rounds: a late copy of an earlier operation
            # comes after the later ones.
            self.notifications = {"mode": "normal", "delay": 0.0, "copies": 2, "hold": 2}
            self.backoff = 0.5  # first retry after this many seconds, doubling, capped at 30
            self.delivered = []  # idOps of the acknowledged notifications, in order
            self.released = []  # batches that "desordre" held, each in payment order
            held, self.held = self.held, []
        self._release_later(held, 1, 0)  # what was still held is sent, not lost

    def create(self, params):
        idop = secrets.token_hex(16)
        with self.lock:
            self.operations[idop] = {**params, "idop": idop, "created": time.time(),
                                     "resultrans": None, "numauto": None, "dattrans": None,
                                     "heurtrans": None, "reported": {}, "attempts": 0,
                                     "acknowledged": 0}
        return idop

    def get(self, idop):
        with self.lock:
            op = self.operations.get(idop)
            return dict(op) if op else None

    def state(self, op):
        if op["resultrans"]:
            return "terminee"
        return "expiree" if time.time() - op["created"] > LIFETIME else "en_attente"

    def finish(self, idop, resultrans):
        """Record the result once; False if the operation is unknown, expired or done."""
        now = dt.datetime.now()
        with self.lock:
            op = self.operations.get(idop)
            if op is None or self.state(op) != "en_attente":
                return False
            op.update(resultrans=resultrans, dattrans=now.strftime("%d%m%Y"),
                      heurtrans=now.strftime("%H%M"),
                      numauto=f"{secrets.randbelow(10 ** 6):06d}" if resultrans == "P" else None)
            return True

    def notify(self, idop):
        """Send the notification(s) of an operation as the control settings say, in the
        background: the parent's browser is redirected at once."""
        with self.lock:
            setting = dict(self.notifications)
            if setting["mode"] == "desordre":
                self.held.append(idop)
                if len(self.held) < setting["hold"]:
                    log.info("notification of %s held (%s/%s)", idop, len(self.held),
                             setting["hold"])
                    return
                batch, self.held = self.held, []
                self.released.append(batch)
        if setting["mode"] == "desordre":
            self._release_later(batch, setting["copies"], setting["delay"])
            return
        if setting["mode"] == "perte":
            log.info("notification of %s dropped (control)", idop)
            return
        copies = setting["copies"] if setting["mode"] == "double" else 1
        delay = setting["delay"] if setting["mode"] == "retard" else 0
        for _ in range(copies):
            threading.Thread(target=self._deliver, args=(idop, delay), daemon=True).start()

    def release(self):
        """Send what "desordre" holds now (fewer than `hold` operations), newest first."""
        with self.lock:
            held, self.held = self.held, []
            if held:
                self.released.append(held)
            setting = self.notifications
            copies, delay = ((setting["copies"], setting["delay"])
                             if setting["mode"] == "desordre" else (1, 0))
        self._release_later(held, copies, delay)
        return held

    def _release_later(self, batch, copies, delay):
        if batch:
            threading.Thread(target=self._release, args=(batch, copies, delay),
                             daemon=True).start()

    def _release(self, batch, copies, delay):
        """One after the other (so the portal sees them in this order): newest first, then the
        next round of copies the same way."""
        time.sleep(delay)
        log.info("releasing notifications of %s, newest first, %s time(s)", batch, copies)
        for _ in range(copies):
            for idop in reversed(batch):
                self._deliver(idop, 0)

    def _deliver(self, idop, delay):
        time.sleep(delay)
        op = self.get(idop)
        wait = self.backoff
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self.lock:
                self.operations[idop]["attempts"] += 1
            try:
                response = requests.post(op["urlnotif"], data={"idOp": idop}, timeout=10)
                if 200 <= response.status_code < 300:
                    with self.lock:
                        self.operations[idop]["acknowledged"] += 1
                        self.delivered.append(idop)
                    return
                log.warning("notification of %s: HTTP %s (attempt %s)", idop,
                            response.status_code, attempt)
            except requests.RequestException as exc:
                log.warning("notification of %s failed (attempt %s): %r", idop, attempt, exc)
            time.sleep(wait)
            wait = min(wait * 2, 30)
        log.error("notification of %s given up after %s attempts", idop, MAX_ATTEMPTS)


def validate(params):
    errors = []
    if not re.fullmatch(r"\d{1,6}", params["numcli"]):
        errors.append("numcli invalide")
    if not re.fullmatch(r"\d{4}", params["exer"]):
        errors.append("exer invalide")
    if not re.fullmatch(r"[A-Za-z0-9]{1,30}", params["refdet"]):
        errors.append("refdet invalide")
    if not re.fullmatch(r"[1-9]\d{0,8}", params["montant"]):
        errors.append("montant invalide (en centimes)")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", params["mel"]):
        errors.append("mel invalide")
    for url in ("urlnotif", "urlredirect"):
        if not re.match(r"https?://", params[url]):
            errors.append(f"{url} invalide")
    if params["saisie"] not in ("T", "X", "W"):
        errors.append("saisie invalide (T, X ou W)")
    return errors


PAGE = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Paiement sécurisé — Banque partenaire (simulation)</title></head>
<body>
<main>
  <h1>Paiement sécurisé des factures publiques</h1>
  <p><strong>Simulation</strong> : aucun paiement réel n'est effectué.</p>
  {% if message %}<p role="alert">{{ message }}</p>{% endif %}
  {% if op %}
  <dl>
    <dt>Objet</dt><dd>{{ op.objet }}</dd>
    <dt>Référence</dt><dd>{{ op.refdet }}</dd>
    <dt>Montant</dt><dd>{{ amount }} €</dd>
    <dt>Reçu envoyé à</dt><dd>{{ op.mel }}</dd>
  </dl>
  {% if payable %}
  <form method="post" action="{{ url_for('pay') }}">
    <input type="hidden" name="idop" value="{{ op.idop }}">
    <p><label for="carte">Numéro de carte</label>
       <input id="carte" name="numero_carte" inputmode="numeric" autocomplete="off"></p>
    <p>Cartes de test :</p>
    <ul>{% for number, (code, label) in cards %}<li>{{ number }} : {{ label }}</li>{% endfor %}</ul>
    <p><button type="submit" name="action" value="payer">Payer</button>
       <button type="submit" name="action" value="annuler">Annuler le paiement</button></p>
  </form>
  {% endif %}
  {% endif %}
</main>
</body>
</html>
"""


def create_app(settings, bank=None):
    app = Flask(__name__)
    app.config["PORTAIL_SETTINGS"] = settings
    bank = bank or Bank()
    app.extensions["bank"] = bank

    def page(op=None, message=None, status=200):
        payable = op is not None and bank.state(op) == "en_attente"
        amount = f"{int(op['montant']) / 100:.2f}" if op else ""
        return render_template_string(PAGE, op=op, message=message, payable=payable,
                                      amount=amount, cards=TEST_CARDS.items()), status

    @app.get("/")
    def home():
        return page(message="Ce service simule le paiement en ligne des factures (type PayFiP) "
                            "pour le Portail Famille.")

    @app.get("/sante")
    def sante():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    # --- the merchant's server-to-server API ---------------------------------------------

    @app.post("/api/paiement")
    def create_operation():
        data = request.get_json(silent=True) or request.form
        params = {name: str(data.get(name, "")).strip() for name in FIELDS}
        errors = validate(params)
        if errors:
            return jsonify(erreur=", ".join(errors)), 400
        return jsonify(idop=bank.create(params)), 201

    @app.get("/api/paiement/<idop>")
    def operation_result(idop):
        op = bank.get(idop)
        if op is None:
            return jsonify(erreur="idOp inconnu"), 404
        details = {name: op[name] for name in ("numcli", "exer", "refdet", "objet", "montant",
                                               "mel", "saisie")}
        details.update(idop=idop, resultrans=op["resultrans"], numauto=op["numauto"],
                       dattrans=op["dattrans"], heurtrans=op["heurtrans"], etat=bank.state(op))
        details.update(op["reported"])  # falsified by a control call
        return jsonify(details)

    # --- the parent's payment page -------------------------------------------------------

    @app.get("/paiement")
    def payment_page():
        op = bank.get(request.args.get("idop", ""))
        if op is None:
            return page(message="Opération de paiement inconnue.", status=404)
        state = bank.state(op)
        if state == "expiree":
            return page(op, "Cette opération a expiré (15 minutes). Retournez sur le portail "
                            "pour recommencer le paiement.", 410)
        if state == "terminee":
            return page(op, "Cette opération de paiement est terminée.")
        return page(op)

    @app.post("/paiement", endpoint="pay")
    def pay():
        idop = request.form.get("idop", "")
        op = bank.get(idop)
        if op is None:
            return page(message="Opération de paiement inconnue.", status=404)
        if request.form.get("action") == "annuler":
            resultrans = "A"
        else:
            card = re.sub(r"\D", "", request.form.get("numero_carte", ""))
            resultrans = TEST_CARDS.get(card, ("R", ""))[0]  # an unknown card is refused
        if not bank.finish(idop, resultrans):
            return page(op, "Cette opération a expiré ou est déjà terminée.", 409)
        bank.notify(idop)
        return redirect(f"{op['urlredirect']}?{urlencode({'idop': idop})}", code=303)

    # --- control, for tests and demos ----------------------------------------------------

    @app.post("/controle/notifications")
    def control_notifications():
        data = request.get_json(force=True)
        if data.get("mode") not in ("normal", "retard", "perte", "double", "desordre"):
            return jsonify(erreur="mode : normal, retard, perte, double ou desordre"), 400
        with bank.lock:
            bank.notifications = {"mode": data["mode"], "delay": float(data.get("delay", 0)),
                                  "copies": int(data.get("copies", 2)),
                                  "hold": max(1, int(data.get("hold", 2)))}
            if "backoff" in data:
                bank.backoff = float(data["backoff"])
        return jsonify(bank.notifications)

    @app.get("/controle/notifications")
    def control_notifications_state():
        """The settings; the idOps held back, released (by batch) and acknowledged, in order."""
        with bank.lock:
            return jsonify(**bank.notifications, held=list(bank.held),
                           released=list(bank.released), delivered=list(bank.delivered))

    @app.post("/controle/notifications/liberer")
    def control_release():
        """Send the notifications "desordre" still holds, without waiting for `hold`."""
        return jsonify(released=bank.release())

    @app.post("/controle/reinitialiser")
    def control_reset():
        bank.reset()
        return jsonify(ok=True)

    @app.get("/controle/operations/<idop>")
    def control_operation(idop):
        op = bank.get(idop) or abort(404)
        return jsonify({**op, "etat": bank.state(op)})

    @app.post("/controle/operations/<idop>/expirer")
    def control_expire(idop):
        with bank.lock:
            op = bank.operations.get(idop) or abort(404)
            op["created"] -= LIFETIME + 1
        return jsonify(ok=True)

    @app.post("/controle/operations/<idop>/falsifier")
    def control_falsify(idop):
        """What the result reports instead of the truth (refdet, montant…)."""
        with bank.lock:
            op = bank.operations.get(idop) or abort(404)
            op["reported"] = {k: str(v) for k, v in request.get_json(force=True).items()}
        return jsonify(ok=True)

    @app.post("/controle/operations/<idop>/notifier")
    def control_notify(idop):
        """Send the notification again now (as the bank would after a timeout)."""
        bank.get(idop) or abort(404)
        threading.Thread(target=bank._deliver, args=(idop, 0), daemon=True).start()
        return jsonify(ok=True)

    return app
