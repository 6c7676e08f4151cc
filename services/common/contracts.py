"""The contracts between services: which events exist, who publishes and who listens.

A subscription listed here gets its queue declared on the broker before any event is
published (at deploy time and by the publisher's relay), so a handler started after an event
was committed still receives it. The queue name is the one nameko derives for the handler.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    source: str  # the service that owns the state and publishes the event
    type: str
    description: str


@dataclass(frozen=True)
class Subscription:
    source: str
    event_type: str
    service: str  # the listening service
    method: str  # its handler method

    @property
    def queue_name(self):
        # nameko's SERVICE_POOL naming: one queue per (listening service, handler method).
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


EVENTS = (
    Event("accounts", "family.created", "A family and its account were created by the back office."),
    Event("accounts", "family.updated", "A family's record (responsable, conjoint) changed."),
    Event("accounts", "password.changed", "A family changed or reset its password."),
)

# Filled as services start listening (children, billing, messaging, requests issues).
SUBSCRIPTIONS = ()


def event(source, event_type):
    for known in EVENTS:
        if known.source == source and known.type == event_type:
            return known
    raise KeyError(f"unknown event {source}:{event_type}: add it to services/common/contracts.py")
