""""Infos./Documents" (left menu of Accueil): the collectivity's complementary message or link,
and the "Formulaire" button listing the documents it publishes; and its logo, shown on every
page, the login page included."""
import base64

from flask import Blueprint, Response, abort, render_template

from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import NotFound, PortailError
from services.common.rpc import Call

bp = Blueprint("documents", __name__)


@bp.get("/infos-documents")
@login_required
def infos():
    collectivity = Call("accounts", "get_collectivity")
    gather_page(collectivity)
    return render_template("infos_documents.html", collectivity=collectivity)


@bp.get("/infos-documents/formulaire")
@login_required
def formulaire():
    documents = Call("accounts", "list_documents")
    gather_page(documents)
    return render_template("formulaire.html", documents=documents)


def _file(content_base64, content_type, filename, disposition="attachment", cache="private, no-store"):
    return Response(base64.b64decode(content_base64), mimetype=content_type, headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        # A published file is served as what its extension says, never sniffed as a page.
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache})


@bp.get("/infos-documents/documents/<int:document_id>")
@login_required
def download(document_id):
    try:
        document = rpc().call("accounts", "get_document", document_id)
    except NotFound:
        abort(404)
    except PortailError as exc:
        gather_page()
        return render_template("error.html", title="Document indisponible", message=str(exc)), 503
    # The name was cleaned by accounts (letters, digits, dot, dash, underscore, space).
    return _file(document["content_base64"], document["content_type"], document["filename"])


@bp.get("/collectivite/logo")
def logo():
    """No login: the login page shows it too. The URL carries the logo's version, so it can
    be cached for a long time."""
    try:
        found = rpc().call("accounts", "get_logo")
    except NotFound:
        abort(404)
    except PortailError:
        return "", 503
    return _file(found["content_base64"], found["content_type"], "logo", "inline",
                 "public, max-age=86400")
