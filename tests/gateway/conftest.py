"""Gateway fixtures: the Flask app against the real services, a client, a login helper."""
import html
import re

import pytest

from gateway.app import create_app
from tests.support.families import create_family, ensure_demo

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def app(settings, services):
    ensure_demo(settings)
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["rpc"].close()


@pytest.fixture
def client(app):
    app.extensions["rpc"].open_circuits.clear()  # a previous test may have stopped a service
    return app.test_client()


@pytest.fixture
def family(backoffice):
    """A new family whose password is already chosen (no forced change)."""
    return create_family(backoffice, nom="BERNARD", prenom="LUC", password="Famille2026")


def csrf_token(client, path="/connexion"):
    return CSRF.search(client.get(path).text).group(1)


def login(client, identifiant, password):
    return client.post("/connexion", data={"identifiant": identifiant, "mot_de_passe": password,
                                           "csrf_token": csrf_token(client)})


def text(response):
    """The page's visible text, on one line."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
