"""`python -m services.requests.cli`: the back office's change requests, on the command line.

    list [--type TYPE] [--du AAAA-MM-JJ] [--au AAAA-MM-JJ]   pending requests, oldest first
    show ID [--en-clair]                                       old and new values side by side
    accept ID                                                  accept (the owner applies it)
    refuse ID MOTIF                                            refuse, with the reason
    auto-accept [TYPE ...]                                     kinds accepted at once (none: show)

Talks to the running requests service through RPC, like the gateway.
"""
import argparse
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import settings as settings_module  # noqa: E402
from services.common.errors import PortailError  # noqa: E402
from services.common.rpc import RpcClient  # noqa: E402


def _day(iso):
    return "/".join(reversed(iso.split("-"))) if iso else ""


def _value(value):
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    if isinstance(value, list):  # personnes autorisées
        return "; ".join(" ".join(filter(None, (p.get("nom"), p.get("lien"), p.get("telephone"))))
                         for p in value) or "—"
    return str(value) if value not in (None, "") else "—"


def print_list(requests, out):
    if not requests:
        print("Aucune demande en attente.", file=out)
        return
    for r in requests:
        changed = ", ".join(c["label"] for c in r["changes"] if c["changed"]) or \
            ", ".join(f"{k} : {_value(v)}" for k, v in r["values"].items() if v)
        print(f"#{r['id']:<6} {_day(r['requested_on']):<10}  {r['label']:<45} famille "
              f"{r['family_id']:<6} {r['subject']}  [{changed}]", file=out)


def print_request(r, out):
    print(f"Demande #{r['id']} — {r['label']} — {r['subject']} (famille {r['family_id']})",
          file=out)
    print(f"Date demande : {_day(r['requested_on'])}    État : {r['status_label']}", file=out)
    if r["decided_on"]:
        print(f"Date décision : {_day(r['decided_on'])}", file=out)
    if r["motif_refus"]:
        print(f"Motif refus : {r['motif_refus']}", file=out)
    width = max((len(c["label"]) for c in r["changes"]), default=10)
    print(f"  {'':{width}}  {'Actuel':<35}  Demandé", file=out)
    for c in r["changes"]:
        mark = "*" if c["changed"] else " "
        print(f"{mark} {c['label']:{width}}  {_value(c['old']):<35}  {_value(c['new'])}", file=out)


def main(argv=None, out=sys.stdout, client=None):
    parser = argparse.ArgumentParser(prog="python -m services.requests.cli",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="demandes en attente")
    listing.add_argument("--type", help="responsable, conjoint, fiscales, caf, bancaires, "
                                        "autorisations, personnes_autorisees, lunettes, sante, "
                                        "preinscription, reservation, absence")
    listing.add_argument("--du", help="demandées à partir de ce jour (AAAA-MM-JJ)")
    listing.add_argument("--au", help="demandées jusqu'à ce jour inclus (AAAA-MM-JJ)")
    show = commands.add_parser("show", help="une demande, anciennes et nouvelles valeurs")
    show.add_argument("id", type=int)
    show.add_argument("--en-clair", action="store_true",
                      help="montrer l'IBAN et les données sanitaires en clair")
    accept = commands.add_parser("accept", help="accepter une demande")
    accept.add_argument("id", type=int)
    refuse = commands.add_parser("refuse", help="refuser une demande, avec le motif")
    refuse.add_argument("id", type=int)
    refuse.add_argument("motif")
    auto = commands.add_parser("auto-accept", help="types acceptés sans décision")
    auto.add_argument("types", nargs="*")
    auto.add_argument("--aucun", action="store_true", help="plus aucune acceptation automatique")
    args = parser.parse_args(argv)

    own_client = client is None
    client = client or RpcClient(settings_module.load(), size=1, circuit_seconds=0)
    try:
        if args.command == "list":
            print_list(client.call("requests", "pending_requests", args.type, args.du, args.au), out)
        elif args.command == "show":
            print_request(client.call("requests", "get_request", args.id, args.en_clair), out)
        elif args.command == "accept":
            result = client.call("requests", "accept_request", args.id)
            print(f"Demande #{args.id} " + ("transmise au service des enfants."
                                            if result.get("transmise") else "acceptée."), file=out)
        elif args.command == "refuse":
            result = client.call("requests", "refuse_request", args.id, args.motif)
            print(f"Demande #{args.id} " + ("transmise au service des enfants."
                                            if result.get("transmise") else "refusée."), file=out)
        else:
            if args.types or args.aucun:
                settings = client.call("requests", "update_settings", args.types)
            else:
                settings = client.call("requests", "get_settings")
            print("Acceptation automatique : " + (", ".join(settings["auto_accept"]) or "aucune"),
                  file=out)
    except PortailError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    finally:
        if own_client:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
