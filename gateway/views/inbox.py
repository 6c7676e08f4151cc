"""The "Boîte de réception" tab: messages between the family and its structures."""
import base64

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import NotFound, PortailError
from services.common.rpc import Call

bp = Blueprint("inbox", __name__, url_prefix="/boite-de-reception")

BOXES = {"reception": "Messages reçus", "envoyes": "Messages envoyés",
         "supprimes": "Messages supprimés"}
MAX_UPLOAD = 2 * 1024 * 1024


def _structures():
    call = Call("children", "family_structures", g.account["family_id"])
    return call


@bp.get("")
@login_required
def threads():
    box = request.args.get("dossier", "reception")
    if box not in BOXES:
        box = "reception"
    listing = Call("messaging", "list_threads", g.account["family_id"], box)
    gather_page(listing)
    return render_template("inbox.html", listing=listing, box=box, boxes=BOXES)


def _uploaded_attachments():
    """Files of the form as the messaging service takes them; size checked there too."""
    attachments = []
    for upload in request.files.getlist("pieces_jointes"):
        if not upload or not upload.filename:
            continue
        data = upload.read(MAX_UPLOAD + 1)
        attachments.append({"filename": upload.filename,
                            "content_base64": base64.b64encode(data).decode()})
    return attachments


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
def new_message():
    structures = _structures()
    gather_page(structures)
    errors, form = [], {"structure": "", "objet": "", "message": ""}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        choices = {str(s["id"]): s for s in (structures.result or [])}
        structure = choices.get(form["structure"])
        if not structures.ok:
            errors = [str(structures.error)]
        elif structure is None:
            errors = ["Veuillez choisir la structure destinataire."]
        else:
            try:
                rpc().call("messaging", "send_message", g.account["family_id"],
                           {"id": structure["id"], "nom": structure["nom"]},
                           form["objet"], form["message"], _uploaded_attachments())
            except PortailError as exc:
                errors = exc.messages
            else:
                flash("Votre message a été envoyé.")
                return redirect(url_for("inbox.threads", dossier="envoyes"))
    return render_template("inbox_nouveau.html", structures=structures, errors=errors,
                           form=form, boxes=BOXES), 400 if errors else 200


@bp.get("/<int:thread_id>")
@login_required
def thread(thread_id):
    # Read first: opening the thread marks it read, and the header's count must say so.
    opened = Call("messaging", "get_thread", g.account["family_id"], thread_id)
    rpc().gather([opened])
    if isinstance(opened.error, NotFound):
        abort(404)
    gather_page()
    return render_template("inbox_fil.html", thread=opened, boxes=BOXES, errors=[])


@bp.post("/<int:thread_id>/repondre")
@login_required
def reply(thread_id):
    try:
        rpc().call("messaging", "reply", g.account["family_id"], thread_id,
                   request.form.get("message", ""), _uploaded_attachments())
    except NotFound:
        abort(404)
    except PortailError as exc:
        opened = Call("messaging", "get_thread", g.account["family_id"], thread_id)
        gather_page(opened)
        return render_template("inbox_fil.html", thread=opened, boxes=BOXES,
                               errors=exc.messages, draft=request.form.get("message", "")), 400
    flash("Votre réponse a été envoyée.")
    return redirect(url_for("inbox.thread", thread_id=thread_id))


@bp.post("/<int:thread_id>/supprimer")
@login_required
def delete(thread_id):
    _act("delete_thread", thread_id, "Le message a été déplacé dans « Messages supprimés ».")
    return redirect(url_for("inbox.threads"))


@bp.post("/<int:thread_id>/restaurer")
@login_required
def restore(thread_id):
    _act("restore_thread", thread_id, "Le message a été restauré.")
    return redirect(url_for("inbox.threads", dossier="supprimes"))


def _act(method, thread_id, done):
    try:
        rpc().call("messaging", method, g.account["family_id"], thread_id)
    except NotFound:
        abort(404)
    except PortailError as exc:
        flash(str(exc))
    else:
        flash(done)


@bp.get("/piece-jointe/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    try:
        data = rpc().call("messaging", "get_attachment", g.account["family_id"], attachment_id)
    except NotFound:
        abort(404)
    except PortailError:
        abort(503)
    return Response(base64.b64decode(data["content_base64"]), mimetype=data["content_type"],
                    headers={"Content-Disposition": f'attachment; filename="{data["filename"]}"',
                             "X-Content-Type-Options": "nosniff"})
