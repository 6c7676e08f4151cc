"""docs/reference.md stays true: every RPC method (with its parameters) and every event of the
code is there, with who listens to it, and nothing the code no longer has.

When this fails, the message lists the headings to add or remove; describe each in a sentence.
"""
import re
from pathlib import Path

from services.common import contracts
from tests.support.entrypoints import rpc_methods

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
RPC_HEADING = re.compile(r"^#### `(\w+)\.(\w+)\((.*)\)`$")
EVENT_HEADING = re.compile(r"^#### `(\w+):([\w.]+)`$")
LISTENERS = re.compile(r"^Écouté par : (.*)$")


def rpc_methods_in_code():
    """{"service.method(params)"} of every @rpc entrypoint of services/<name>/service.py."""
    return {f"{service}.{method}{str(signature)}" for service, method, signature in rpc_methods()}


def events_in_code():
    """{"source:type": "listener, listener" (sorted, or "—")}."""
    listeners = {}
    for sub in contracts.SUBSCRIPTIONS:
        listeners.setdefault(f"{sub.source}:{sub.event_type}", []).append(f"{sub.service}.{sub.method}")
    return {f"{e.source}:{e.type}": ", ".join(sorted(listeners.get(f"{e.source}:{e.type}", [])))
            or "—" for e in contracts.EVENTS}


def reference():
    methods, events, current = set(), {}, None
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if match := RPC_HEADING.match(line):
            methods.add(f"{match.group(1)}.{match.group(2)}({match.group(3)})")
            current = None
        elif match := EVENT_HEADING.match(line):
            current = f"{match.group(1)}:{match.group(2)}"
            events[current] = None
        elif current and (match := LISTENERS.match(line)):
            events[current] = match.group(1).strip()
    return methods, events


def test_every_rpc_method_is_in_the_reference_with_its_parameters():
    documented, _ = reference()
    code = rpc_methods_in_code()
    missing = sorted(code - documented)
    stale = sorted(documented - code)
    assert not missing and not stale, (
        "docs/reference.md is out of date.\nAdd:\n" + "\n".join(f"#### `{m}`" for m in missing)
        + "\nRemove or correct:\n" + "\n".join(f"#### `{m}`" for m in stale))


def test_every_event_is_in_the_reference_with_its_listeners():
    _, documented = reference()
    code = events_in_code()
    wrong = {key: (documented.get(key), listeners) for key, listeners in code.items()
             if documented.get(key) != listeners}
    stale = sorted(set(documented) - set(code))
    assert not wrong and not stale, (
        "docs/reference.md is out of date. Each event: a heading `#### `source:type`` and a line "
        "`Écouté par : ...`.\n" + "\n".join(f"{k}: documented {d!r}, code {c!r}"
                                             for k, (d, c) in sorted(wrong.items()))
        + ("\nRemove: " + ", ".join(stale) if stale else ""))
