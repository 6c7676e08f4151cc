"""A small nameko service for the backbone tests, run as its own process:
`python -m tests.support.listener`.

It listens to accounts' family.created through the shared `subscribe` helper (outbox, idempotent
handling) and offers a slow query, to show that database waits don't block the service.
"""
from services.common.runner import run  # first: patches the standard library for eventlet

import sqlalchemy as sa  # noqa: E402
from nameko.rpc import rpc  # noqa: E402

from services.common.contracts import Subscription  # noqa: E402
from services.common.db import Database  # noqa: E402
from services.common.events import subscribe  # noqa: E402

SERVICE = "listener"
SUBSCRIPTION = Subscription("accounts", "family.created", SERVICE, "on_family_created")

metadata = sa.MetaData()
received = sa.Table(
    "received", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("numero", sa.String(20), nullable=False),
)


class ListenerService:
    name = SERVICE
    db = Database()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    @rpc
    def slow_query(self, seconds):
        self.db.execute(sa.text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @subscribe("accounts", "family.created")
    def on_family_created(self, data, envelope):
        if data["numero"].endswith("999"):  # a poisoned event: always fails, gets parked
            raise RuntimeError("cannot handle this one")
        self.db.execute(received.insert().values(event_id=envelope["event_id"],
                                                 numero=data["numero"]))


if __name__ == "__main__":
    run(ListenerService)
