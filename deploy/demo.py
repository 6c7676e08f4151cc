"""`python -m deploy.demo [--families N] [--list]`: the demo family (its accounts record, then
each other service's demo data for it), and N more families for load tests.

Idempotent. `--list` prints the generated identifiants, one a line, for benchmarks/accueil.py.
"""
import argparse
import importlib
import importlib.util
import sys
import warnings

# Imported through the services; its deprecation notice is known and only noise here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import settings as settings_module

DEMO_LOGIN = ("10010018331", "Bonbons2015")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m deploy.demo", description=__doc__)
    parser.add_argument("--families", type=int, default=0, metavar="N",
                        help="also generate N families (password Bonbons2015)")
    parser.add_argument("--list", action="store_true",
                        help="print the identifiants of the N families, one a line")
    args = parser.parse_args(argv)

    from services.accounts import demo  # imported late: --help works without the service

    settings = settings_module.load()
    family = demo.seed(settings)
    print(f"demo: family {DEMO_LOGIN[0]} ready", file=sys.stderr)
    # Then each other service's demo data for that family (children, billing...), if it has any.
    for service in (s for s in settings_module.SERVICES if s != "accounts"):
        if importlib.util.find_spec(f"services.{service}") is None:
            continue
        if importlib.util.find_spec(f"services.{service}.demo") is not None:
            importlib.import_module(f"services.{service}.demo").seed(settings, family)
            print(f"demo: {service} ready", file=sys.stderr)
    if args.families > 0:
        identifiants = demo.generate_families(settings, args.families)
        print(f"demo: {len(identifiants)} families ready", file=sys.stderr)
        if args.list:
            print("\n".join(identifiants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
