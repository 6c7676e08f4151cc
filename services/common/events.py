"""Events through a transactional outbox, handled idempotently.

Publishing: `add_event(session, type, data)` writes the event row in the caller's transaction;
the `OutboxRelay` dependency of the service publishes committed rows to RabbitMQ and marks
them. A crash between commit and publish delays the event; it never loses it.

Handling: `@subscribe(source, type)` wraps nameko's event_handler. The handler runs in one
transaction with a `processed_events` row keyed by (handler, event id): a redelivered event is
skipped. A failing handler is retried with back-off, then parked in `failed_events` (visible,
replayable) instead of being lost or redelivered forever. While the database itself is
unreachable (a restart), events are requeued after a pause and not counted as failures.
"""
import datetime as dt
import functools
import logging
import threading
import uuid

import eventlet
import kombu.pools
import sqlalchemy as sa
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher
from nameko.events import event_handler
from nameko.standalone.events import get_event_exchange
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects import postgresql

from services.common import contracts
from services.common import settings as settings_module
from services.common.db import make_engine

log = logging.getLogger(__name__)

metadata = sa.MetaData()

outbox_events = sa.Table(
    "outbox_events", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), nullable=False, unique=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("payload", postgresql.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
)

processed_events = sa.Table(
    "processed_events", metadata,
    sa.Column("handler", sa.String(200), primary_key=True),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

failed_events = sa.Table(
    "failed_events", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("handler", sa.String(200), nullable=False),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("payload", postgresql.JSONB, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)


def create_event_tables(op):
    """Called from each service's first migration: the outbox and handler bookkeeping.
    A later change to these tables needs a migration of its own in every service."""
    metadata.create_all(op.get_bind())


# Set after a commit that wrote outbox rows: wakes this process's relay at once.
_outbox_written = threading.Event()


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _wake_relay(session):
    if session.info.pop("outbox", False):
        _outbox_written.set()


# Built once: a statement made per call costs more than its round trip (profiled).
_OUTBOX_INSERT = outbox_events.insert()


def add_event(session, source, event_type, data):
    """Record an event in the caller's transaction; published after commit by the relay."""
    contracts.event(source, event_type)  # refuse events missing from the contracts
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "source": source,
        "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "data": data,
    }
    session.execute(_OUTBOX_INSERT, {"event_id": envelope["event_id"], "event_type": event_type,
                                     "payload": envelope})
    session.info["outbox"] = True
    return envelope["event_id"]


def event_exchange(source):
    # nameko's own declaration: any other arguments and the broker refuses the redeclaration.
    return get_event_exchange(source, {})


def subscription_queue(subscription):
    return Queue(subscription.queue_name, exchange=event_exchange(subscription.source),
                 routing_key=subscription.event_type, durable=True, auto_delete=False,
                 exclusive=False)


def declare_topology(settings, source=None, subscriptions=None):
    """Declare event exchanges and every subscriber queue (of `source` only, if given)."""
    subscriptions = contracts.SUBSCRIPTIONS if subscriptions is None else subscriptions
    with Connection(settings.amqp_uri) as conn:
        channel = conn.channel()
        sources = {e.source for e in contracts.EVENTS} if source is None else {source}
        for name in sources:
            event_exchange(name)(channel).declare()
        for sub in subscriptions:
            if source is None or sub.source == source:
                subscription_queue(sub)(channel).declare()


class OutboxRelay(DependencyProvider):
    """Publishes this service's committed outbox rows, in order, then marks them published.

    Several instances of a service may run: rows are claimed with SKIP LOCKED.
    """

    batch_size = 200
    idle_wait = 0.5  # seconds between polls when no commit wakes us
    batch_timeout = 20  # seconds a batch may take to publish before we reconnect

    def setup(self):
        self.settings = settings_module.load()
        self.source = self.container.service_name
        self.engine = make_engine(self.settings.service_database_url(self.source), pool_size=1)
        self.publisher = Publisher(self.settings.amqp_uri)
        self.exchange = event_exchange(self.source)
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        _outbox_written.set()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def _run(self):
        declared = False
        failures = 0
        while self.running:
            try:
                if not declared:
                    declare_topology(self.settings, source=self.source)
                    declared = True
                # A publish on a connection the broker dropped can wait forever for its
                # confirm: bound each batch, and start again on fresh connections.
                with eventlet.Timeout(self.batch_timeout):
                    while self.running and self.publish_batch() == self.batch_size:
                        pass
                if failures:
                    log.info("outbox relay of %s publishing again", self.source)
                failures = 0
            except (Exception, eventlet.Timeout):  # broker or database down: rows stay
                failures += 1
                log.exception("outbox relay of %s failed (attempt %s)", self.source, failures)
                kombu.pools.reset()  # drop pooled connections to the broker that went away
                self.publisher = Publisher(self.settings.amqp_uri)
                eventlet.sleep(min(0.5 * 2 ** failures, 10))
                continue
            _outbox_written.wait(self.idle_wait)
            _outbox_written.clear()

    def publish_batch(self):
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(outbox_events.c.id, outbox_events.c.event_type, outbox_events.c.payload)
                .where(outbox_events.c.published_at.is_(None))
                .order_by(outbox_events.c.id).limit(self.batch_size)
                .with_for_update(skip_locked=True)).all()
            for row in rows:
                self.publisher.publish(row.payload, exchange=self.exchange,
                                       routing_key=row.event_type)
            if rows:
                conn.execute(outbox_events.update()
                             .where(outbox_events.c.id.in_([r.id for r in rows]))
                             .values(published_at=sa.func.now()))
        return len(rows)


def database_unreachable(exc):
    """True when `exc` says the database cannot be reached (connection refused or lost,
    server shutting down or starting up), as opposed to an error of the statement."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    # psycopg gives no SQLSTATE for client-side connection failures; 08xxx: connection
    # exception; 57P0x: admin/crash shutdown, cannot connect now.
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(exc, sa.exc.OperationalError) and (
        sqlstate is None or sqlstate.startswith(("08", "57P")))


def _rollback_quietly(session):
    try:
        session.rollback()
    except sa.exc.DBAPIError:  # the connection is gone: nothing to roll back
        pass


class _DatabaseOutage:
    """The pause of the handlers of this process while their database does not answer: it
    grows with each failure (up to `cap` seconds) and ends with the first event handled.
    Short cap: a pausing handler holds one of the service's workers, which RPC calls need
    as soon as the database is back."""

    cap = 2.0

    def __init__(self):
        self.failures = 0

    def wait_before_requeue(self, handler, event_id):
        self.failures += 1
        delay = min(0.25 * 2 ** min(self.failures, 4), self.cap)
        log.warning("%s: database unreachable, event %s requeued in %.1f s",
                    handler, event_id, delay)
        eventlet.sleep(delay)

    def clear(self):
        self.failures = 0


_database_outage = _DatabaseOutage()


_MARK_PROCESSED = (postgresql.insert(processed_events).on_conflict_do_nothing()
                   .returning(processed_events.c.event_id))


def subscribe(source, event_type, max_attempts=5):
    """Decorate `handler(self, data, envelope)` of a service with a `db` session dependency.

    The handler must not commit: the wrapper commits its work together with the
    processed-event record, so an event is applied exactly once.
    """
    attempts = {}

    def decorator(fn):
        handler_name = fn.__name__

        @event_handler(source, event_type, requeue_on_error=True)
        @functools.wraps(fn)
        def wrapper(self, envelope):
            handler = f"{self.name}.{handler_name}"
            event_id = envelope["event_id"]
            session = self.db
            try:
                # Marked first, in the handler's transaction: a concurrent twin waits for this
                # one's commit, then finds the mark; a failure rolls the mark back with the work.
                if session.execute(_MARK_PROCESSED, {"handler": handler,
                                                     "event_id": event_id}).first() is None:
                    return  # applied before (a redelivery)
                fn(self, envelope["data"], envelope)
                session.commit()
                attempts.pop(event_id, None)
                _database_outage.clear()
            except Exception as exc:
                if database_unreachable(exc):
                    # A restart or failover, not the event's fault. Without a pause nameko
                    # redelivers it at once, thousands of times a second for as long as the
                    # outage lasts (a log flood), and counting these attempts would park good
                    # events in failed_events: wait, then requeue, uncounted.
                    _rollback_quietly(session)
                    _database_outage.wait_before_requeue(handler, event_id)
                    raise
                session.rollback()
                count = attempts[event_id] = attempts.get(event_id, 0) + 1
                if count >= max_attempts:
                    log.exception("%s gave up on event %s after %s attempts", handler, event_id, count)
                    session.execute(failed_events.insert().values(
                        handler=handler, event_id=event_id, payload=envelope, error=repr(exc)))
                    session.commit()
                    attempts.pop(event_id, None)
                    return
                log.warning("%s failed on event %s (attempt %s): %r", handler, event_id, count, exc)
                eventlet.sleep(min(0.2 * 2 ** count, 5))  # back-off before the requeue
                raise

        return wrapper

    return decorator
