"""The sessions accounts confirmed, remembered by this gateway (SESSION_TRUST_SECONDS, 300 by
default; 0 turns it off).

Every request of a logged-in parent needs its session confirmed by accounts. Asked on every
request, that was one RPC of the two a booking costs: a quarter of the CPU of the morning
rush (measured, docs/operations.md). A confirmation is reused, by pages and forms alike, for
SESSION_TRUST_SECONDS, because the gateway hears at once of every way a session ends early:
- logout: accounts publishes `session.ended`; the gateway that served it forgets the session
  itself before answering;
- password changed or reset (the family's other sessions end): `password.changed`;
- the family's record changed (the name the header shows): `family.updated`.
The other ends are times: idle for 30 minutes (a confirmation is never older than 5) and the
12-hour limit (the cookie carries its start). Activity is recorded by accounts when it is
asked, so at most every 5 minutes: an idle session may end after 25 minutes instead of 30.

Confirmations are reused only while this gateway listens to those events. When its listener
loses the broker, every request asks accounts again, as with SESSION_TRUST_SECONDS=0, and what
was kept before is never reused (an event may have been missed); a confirmation that was asked
before the last end event arrived is not kept either (it may predate that end).
"""
import logging
import threading
import time
import uuid

import kombu

from services.common.crypto import session_token_hash
from services.common.events import event_exchange

log = logging.getLogger(__name__)

MAX_ENTRIES = 50_000
ENDING_EVENTS = ("session.ended", "password.changed", "family.updated")
HEARTBEAT = 10  # seconds: a broker gone silently is noticed within two of them
RECONNECT_PAUSE = 1.0


class SessionTrust:
    def __init__(self, seconds, amqp_uri):
        self.seconds = seconds
        self.amqp_uri = amqp_uri
        self.entries = {}  # token hash -> (asked at, account), monotonic times
        self.lock = threading.Lock()
        self.listening_since = None  # when the listener last started to receive; None: not
        self.last_end = float("-inf")  # when the last ending event was applied
        self.stopping = threading.Event()
        self.connection = None  # the listener's, while it has one
        self.thread = None
        if seconds > 0:
            self.thread = threading.Thread(target=self._listen, name="session-trust",
                                           daemon=True)
            self.thread.start()

    # --- the store ----------------------------------------------------------------------------

    def get(self, token):
        """The account of a confirmation of this session still to be trusted, or None."""
        since = self.listening_since
        entry = self.entries.get(session_token_hash(token))
        if since is None or entry is None:
            return None
        asked_at, account = entry
        if asked_at < since or time.monotonic() - asked_at >= self.seconds:
            return None
        return account

    def put(self, token, account, asked_at):
        """`asked_at`: time.monotonic() when accounts was asked (a confirmation is as old as
        its question)."""
        with self.lock:
            since = self.listening_since
            if since is None or asked_at < since or asked_at <= self.last_end:
                return
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[session_token_hash(token)] = (asked_at, account)

    def forget_session(self, token_hash):
        with self.lock:
            self.last_end = time.monotonic()
            self.entries.pop(token_hash, None)

    def forget_family(self, family_id):
        with self.lock:
            self.last_end = time.monotonic()
            for key in [k for k, (_, account) in self.entries.items()
                        if account.get("family_id") == family_id]:
                del self.entries[key]

    # --- the listener -------------------------------------------------------------------------

    def _on_event(self, body, message):
        data = body.get("data", {}) if isinstance(body, dict) else {}
        if message.delivery_info.get("routing_key") == "session.ended" and data.get("session"):
            self.forget_session(data["session"])
        elif data.get("family_id") is not None or data.get("id") is not None:
            # password.changed carries family_id; family.updated the family itself (id)
            self.forget_family(data.get("family_id", data.get("id")))

    def _listen(self):
        exchange = event_exchange("accounts")
        while not self.stopping.is_set():
            try:
                with kombu.Connection(self.amqp_uri, heartbeat=HEARTBEAT,
                                      connect_timeout=5) as connection:
                    connection.ensure_connection(max_retries=1)
                    self.connection = connection
                    queue = kombu.Queue(
                        f"gateway-sessions-{uuid.uuid4()}", exclusive=True, auto_delete=True,
                        bindings=[kombu.binding(exchange, routing_key=event)
                                  for event in ENDING_EVENTS])
                    with connection.Consumer(queue, callbacks=[self._on_event],
                                             accept=["json"], no_ack=True):
                        self._started_listening()
                        while not self.stopping.is_set():
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                pass
                            connection.heartbeat_check()
            except Exception as exc:  # broker gone or refusing: ask accounts meanwhile
                if not self.stopping.is_set():
                    log.warning("session events not received (%r): sessions checked on "
                                "every request until the broker is back", exc)
            finally:
                self.connection = None
                self._stopped_listening()
            self.stopping.wait(RECONNECT_PAUSE)

    def _started_listening(self):
        with self.lock:
            self.entries.clear()
            self.listening_since = time.monotonic()

    def _stopped_listening(self):
        with self.lock:
            self.listening_since = None
            self.entries.clear()

    def listening(self):
        return self.listening_since is not None

    def stop(self):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
