"""billing's client of the bank partner (PayFiP-like API of bank_stub), server-to-server.

Under eventlet the sockets are green, so a slow bank does not block the service's workers.
"""
import requests
from nameko.extensions import DependencyProvider

from services.common import settings as settings_module
from services.common.errors import ValidationError

TIMEOUT = 3  # seconds: the RPC that waits on us has 5


class BankUnavailable(Exception):
    pass


class Bank:
    def __init__(self, base_url, settings=None):
        self.base_url = base_url.rstrip("/")
        self.settings = settings  # online payment's: numcli, saisie, the portal's urls

    def create_operation(self, **params):
        """An operation id (idOp) for these PayFiP parameters."""
        try:
            response = requests.post(f"{self.base_url}/api/paiement", json=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise BankUnavailable(repr(exc)) from exc
        if response.status_code == 400:
            raise ValidationError("Le paiement en ligne a été refusé par la banque : "
                                  + response.json().get("erreur", "paramètres invalides") + ".")
        if response.status_code != 201:
            raise BankUnavailable(f"HTTP {response.status_code}")
        return response.json()["idop"]

    def result(self, idop):
        """The operation's details ({resultrans, numauto, dattrans, heurtrans, refdet, montant,
        etat…}), or None when the bank does not know this idOp."""
        try:
            response = requests.get(f"{self.base_url}/api/paiement/{idop}", timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise BankUnavailable(repr(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BankUnavailable(f"HTTP {response.status_code}")
        return response.json()


class BankPartner(DependencyProvider):
    """Injects the bank client and the settings of online payment."""

    def setup(self):
        self.settings = settings_module.load()
        self.bank = Bank(self.settings.bank_stub_url, self.settings)

    def get_dependency(self, worker_ctx):
        return self.bank
