"""Acting as a parent in the gateway's test client: forms with their CSRF token, the page text."""
import html
import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/connexion"):
    return CSRF.search(client.get(path).text).group(1)


def login(client, identifiant, password):
    return client.post("/connexion", data={"identifiant": identifiant, "mot_de_passe": password,
                                           "csrf_token": csrf_token(client)})


def text(response):
    """The page's visible text, on one line."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
