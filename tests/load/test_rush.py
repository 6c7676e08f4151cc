"""The opening rush (benchmarks/rush.py) against the test portal, in a small version: parents
log in, book a session with fewer places than parents (some double-click), then browse.
Exactly the capacity is confirmed, no child twice, no error.

`make test` runs 30 parents; `PORTAIL_LOAD_PARENTS=2500 make test PYTEST_ARGS=tests/load` runs
the issue's size (minutes), the figures being benchmarks/rush.py's against `make run`."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARENTS = int(os.environ.get("PORTAIL_LOAD_PARENTS", "30"))


def test_the_opening_rush_confirms_exactly_the_capacity(services, live_gateway):
    capacity = max(1, PARENTS // 3)
    run = subprocess.run(
        [sys.executable, "benchmarks/rush.py", live_gateway, "--parents", str(PARENTS),
         "--capacity", str(capacity), "--concurrency", str(min(PARENTS, 50)),
         "--double-clicks", "0.2"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=3600)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr[-3000:]
    assert re.search(rf"^confirmed bookings  {capacity} +\(places counted: {capacity}\) +OK$",
                     out, re.M), out
    assert re.search(r"^double bookings     0 +OK$", out, re.M), out
    assert re.search(r"^errors              0$", out, re.M), out
    assert re.search(r"^CPU per booking     \d+\.\d ms: ", out, re.M), out
    answers = dict(re.findall(r"(réservé|complet|déjà réservé): (\d+)",
                              re.search(r"^booking answers(.*)$", out, re.M).group(1)))
    # Every parent got an answer: a place, "complet", or "already booked" for the double clicks.
    assert int(answers.get("réservé", 0)) == capacity
    assert sum(int(v) for v in answers.values()) == PARENTS + int(PARENTS * 0.2)
    counts = {"login": PARENTS, "booking": PARENTS + int(PARENTS * 0.2), "Accueil": PARENTS,
              "Mes enfants": PARENTS, "Relevé de compte": PARENTS}
    for name, count in counts.items():
        assert re.search(rf"^{re.escape(name)} +{count} ", out, re.M), (name, out)
