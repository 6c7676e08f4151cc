"""Families for tests, created the way the back office does it (accounts RPC)."""
import itertools
import os

from services.accounts import demo

_counter = itertools.count(1)


def unique_numero():
    # Distinct across test sessions too, since the running service keeps its database.
    return f"3{os.getpid() % 100000:05d}{next(_counter):05d}"


def create_family(rpc, nom="MARTIN", prenom="CLAIRE", password=None, **responsable):
    """A new family with a known password; `password=None` keeps the issued one (forced change)."""
    created = rpc.call("accounts", "create_family",
                       {"nom": nom, "prenom": prenom, "civilite": "Madame", **responsable},
                       numero=unique_numero())
    family = {"identifiant": created["identifiant"], "password": created["password"],
              "family_id": created["family"]["id"]}
    if password:
        auth = rpc.call("accounts", "authenticate", family["identifiant"], family["password"])
        rpc.call("accounts", "change_password", auth["session_token"], family["password"],
                 password, password)
        rpc.call("accounts", "end_session", auth["session_token"])
        family["password"] = password
    return family


def ensure_demo(settings):
    demo.seed(settings)
    return {"identifiant": demo.DEMO_NUMERO, "password": demo.DEMO_PASSWORD}
