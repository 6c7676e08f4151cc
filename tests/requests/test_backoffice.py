"""The back office: pending requests by type and date, old and new values side by side,
accept or refuse with a reason, through the RPC API and `python -m services.requests.cli`."""
import datetime as dt
import io
import subprocess
import sys

import pytest

from services.common.errors import Conflict
from services.requests import cli
from tests.requests.conftest import stored_requests


def _run(backoffice, *argv):
    out = io.StringIO()
    code = cli.main(list(argv), out=out, client=backoffice)
    return code, out.getvalue()


def test_list_show_accept_refuse_from_the_command_line(backoffice, family, requests_db):
    family_id = family["family_id"]
    fiscal = backoffice.call("requests", "submit_request", family_id, "fiscales",
                             {"revenu_fiscal_reference": "18000", "nombre_parts": "1,5"})
    caf = backoffice.call("requests", "submit_request", family_id, "caf",
                          {"regime_caf": "general", "numero_allocataire": "7654321",
                           "quotient_familial": "420"})
    # One pending request of a kind at a time: a second would race the first.
    with pytest.raises(Conflict) as second:
        backoffice.call("requests", "submit_request", family_id, "fiscales",
                        {"revenu_fiscal_reference": "19000", "nombre_parts": "1,5"})
    assert "déjà en attente de traitement" in str(second.value)
    today = dt.date.today().isoformat()

    code, listed = _run(backoffice, "list", "--type", "fiscales", "--du", today, "--au", today)
    assert code == 0 and f"#{fiscal['id']}" in listed and f"#{caf['id']}" not in listed
    assert "Informations fiscales" in listed and "ROUX NINA" in listed
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert f"#{fiscal['id']}" not in _run(backoffice, "list", "--du", tomorrow)[1]

    code, shown = _run(backoffice, "show", str(fiscal["id"]))
    assert code == 0
    assert "Actuel" in shown and "Demandé" in shown
    line = next(l for l in shown.splitlines() if "Nombre de parts" in l)
    assert line.startswith("*") and "—" in line and "1.5" in line  # old empty, new value

    assert _run(backoffice, "accept", str(fiscal["id"])) == (0, f"Demande #{fiscal['id']} acceptée.\n")
    code, _ = _run(backoffice, "accept", str(fiscal["id"]))
    assert code == 1  # already decided
    code, _ = _run(backoffice, "refuse", str(caf["id"]), "")
    assert code == 1  # a refusal needs its reason
    assert _run(backoffice, "refuse", str(caf["id"]), "Attestation CAF manquante")[0] == 0
    decided = {r.type: r for r in stored_requests(requests_db, family_id)}
    assert decided["fiscales"].status == "acceptee" and decided["fiscales"].decided_at
    assert decided["caf"].status == "refusee"
    assert decided["caf"].motif_refus == "Attestation CAF manquante"

    assert _run(backoffice, "auto-accept", "lunettes")[1] == "Acceptation automatique : lunettes\n"
    assert _run(backoffice, "auto-accept", "--aucun")[1] == "Acceptation automatique : aucune\n"


def test_the_command_runs_as_a_module(settings):
    result = subprocess.run([sys.executable, "-m", "services.requests.cli", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "list" in result.stdout and "refuse" in result.stdout
