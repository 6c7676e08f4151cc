"""Security headers, cookies and login throttling under a parallel brute force."""
import concurrent.futures

from tests.support.families import create_family
from tests.support.web import login, text


def test_every_page_sends_the_security_headers(client, family):
    login(client, family["identifiant"], family["password"])
    for path in ("/connexion", "/accueil", "/mon-compte", "/nulle-part"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_pages_hold_no_inline_script_or_style_the_policy_would_block(client, family):
    login(client, family["identifiant"], family["password"])
    for path in ("/connexion", "/accueil", "/mon-compte", "/releve-de-compte",
                 "/boite-de-reception", "/mes-enfants"):
        body = client.get(path).text
        assert "style=" not in body and "<script>" not in body and "onclick=" not in body, path


def test_secure_cookie_when_served_over_https(settings, services):
    from dataclasses import replace

    from gateway.app import create_app
    app = create_app(replace(settings, session_cookie_secure=True))
    response = app.test_client().get("/connexion")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_login_throttling_holds_under_a_parallel_brute_force(app, backoffice):
    victim = create_family(backoffice, nom="CIBLE", password="Cible2026")

    def guess(i):
        client = app.test_client()
        return login(client, victim["identifiant"], f"Essai{i:04d}x").status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(guess, range(40)))
    assert set(codes) == {401}  # none got in
    # However parallel the guesses, the lock came after 10 of them: the right password too
    # is now refused, with the lock message.
    response = login(app.test_client(), victim["identifiant"], victim["password"])
    assert response.status_code == 401 and "temporairement bloqué" in text(response)
