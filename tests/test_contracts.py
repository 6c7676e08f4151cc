"""The contracts say who listens to what: every handler in the code is declared there (so its
queue exists before events are published) and every declared subscription has its handler."""
import importlib

from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common import contracts
from services.common.settings import SERVICES


def handlers_in_code():
    found = set()
    for name in SERVICES:
        try:
            module = importlib.import_module(f"services.{name}.service")
        except ModuleNotFoundError:
            continue  # a service of a later issue
        for cls in vars(module).values():
            if getattr(cls, "name", None) != name or not isinstance(cls, type):
                continue
            for attr, member in vars(cls).items():
                for ext in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                    if isinstance(ext, EventHandler):
                        found.add(contracts.Subscription(ext.source_service, ext.event_type,
                                                         name, attr))
    return found


def test_every_handler_is_declared_and_every_declaration_has_a_handler():
    assert handlers_in_code() == set(contracts.SUBSCRIPTIONS)


def test_every_subscription_is_to_a_known_event():
    for sub in contracts.SUBSCRIPTIONS:
        assert contracts.event(sub.source, sub.event_type)
