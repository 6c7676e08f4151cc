"""Calling services from outside nameko (gateway, admin tool, health checks, tests).

`RpcClient` speaks nameko's RPC protocol with py-amqp directly: a request published to the
`nameko-rpc` exchange, its reply read from our own reply queue. nameko's standalone proxy did
the same with a kombu producer checked out of a pool, a publish confirmation waited for and an
acknowledgement sent for every call; that cost the gateway 1.3 ms of CPU per call and the
broker a third more (measured, docs/operations.md), twice per booking. Here:
- a request to a service nobody consumes (not deployed, not started) is published `mandatory`
  and comes back as a basic.return while we wait for its reply: "unknown service" at once,
  without a confirmation round trip;
- replies are consumed without acknowledgement from an exclusive queue, deleted with its
  connection;
- a connection is not thread-safe and sends no heartbeats, so callers check one out of a pool
  per call or page, and one that failed (timeout, lost connection) is thrown away rather than
  reused. Every call has a timeout (RPC_TIMEOUT, at most 5 s).
"""
import logging
import queue
import select
import socket
import time
import uuid
from contextlib import contextmanager

import amqp
import eventlet
import kombu
import kombu.serialization
from nameko.exceptions import RemoteError, deserialize
from nameko.rpc import RpcProxy, get_rpc_exchange

from services.common import settings as settings_module
from services.common.errors import PortailError, ServiceUnavailable

log = logging.getLogger(__name__)

# nameko's own declaration: any other arguments and the broker refuses the redeclaration.
RPC_EXCHANGE = get_rpc_exchange({})


def tune_publishers():
    """How a nameko service publishes RPC messages (profiled: docs/operations.md); RpcClient
    below follows the same two rules.

    - Replies without waiting for the broker's confirmation: a reply lost with the broker is
      a timeout for the caller, confirmed or not, and the round trip cost a quarter of a
      short call's CPU in the service.
    - Requests not persisted by the broker: a request is worth nothing once its caller has
      stopped waiting (RPC_TIMEOUT), so one kept across a broker restart would act after the
      parent was told it failed; and writing it cost a third of the broker's CPU per call.
      A service's requests to another keep their confirmation: it is how nameko tells an
      unknown service at once.
    Events are published by the outbox relay (events.py), persistent and confirmed.
    """
    from nameko.amqp.publish import Publisher
    from nameko.constants import NON_PERSISTENT
    from nameko.rpc import MethodProxy, Responder

    class ReplyPublisher(Publisher):
        use_confirms = False

    class RequestPublisher(Publisher):
        delivery_mode = NON_PERSISTENT

    Responder.publisher_cls = ReplyPublisher
    MethodProxy.publisher_cls = RequestPublisher


class Call:
    """One RPC call of a page: `RpcClient.gather` fills `result` or `error`."""

    def __init__(self, service, method, *args, **kwargs):
        self.service, self.method, self.args, self.kwargs = service, method, args, kwargs
        self.result = None
        self.error = None

    @property
    def ok(self):
        return self.error is None


class UnknownService(Exception):
    """No queue took the request: the service is not deployed or not started."""


class _Connection:
    """One broker connection with its reply queue; replies are matched by correlation id."""

    def __init__(self, amqp_uri, timeout):
        self.kombu = kombu.Connection(amqp_uri, connect_timeout=timeout)
        self.kombu.connect()
        self.channel = self.kombu.connection.channel()  # py-amqp's own, under kombu's
        self.reply_to = str(uuid.uuid4())
        reply_queue = f"rpc.reply-client-{self.reply_to}"
        RPC_EXCHANGE(self.channel).declare()
        self.channel.queue_declare(reply_queue, exclusive=True, auto_delete=True)
        self.channel.queue_bind(reply_queue, RPC_EXCHANGE.name, self.reply_to)
        self.channel.basic_consume(reply_queue, no_ack=True, callback=self._on_reply)
        self.channel.events["basic_return"].add(self._on_return)
        self.waiting = set()  # correlation ids of the calls sent and not yet answered
        self.replies = {}

    def _on_reply(self, message):
        correlation_id = message.properties.get("correlation_id")
        if correlation_id in self.waiting:  # a reply to a call given up on is dropped
            self.replies[correlation_id] = message

    def _on_return(self, exc, exchange, routing_key, message):
        correlation_id = message.properties.get("correlation_id")
        if correlation_id in self.waiting:
            self.replies[correlation_id] = UnknownService(routing_key.split(".")[0])

    def send(self, service, method, args, kwargs):
        correlation_id = str(uuid.uuid4())
        content_type, encoding, body = kombu.serialization.dumps(
            {"args": args, "kwargs": kwargs}, "json")
        message = amqp.Message(body, content_type=content_type, content_encoding=encoding,
                               reply_to=self.reply_to, correlation_id=correlation_id,
                               delivery_mode=1)  # see tune_publishers: requests not persisted
        self.channel.basic_publish(message, exchange=RPC_EXCHANGE.name,
                                   routing_key=f"{service}.{method}", mandatory=True)
        self.waiting.add(correlation_id)
        return correlation_id

    def result(self, correlation_id, deadline):
        """The reply's result, or the PortailError / RemoteError / UnknownService it carries;
        socket.timeout at the deadline."""
        try:
            while correlation_id not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                self.kombu.connection.drain_events(timeout=left)
        finally:
            self.waiting.discard(correlation_id)
        reply = self.replies.pop(correlation_id)
        if isinstance(reply, UnknownService):
            raise reply
        payload = kombu.serialization.loads(reply.body, reply.content_type,
                                            reply.content_encoding, accept={"application/json"})
        if payload.get("error"):
            raise deserialize(payload["error"])
        return payload.get("result")

    def alive(self):
        """False once the broker has closed this idle connection (it restarted): a request
        written to it would still be accepted by the socket, and lost."""
        try:
            readable, _, _ = select.select([self.kombu.connection.sock], [], [], 0)
            if readable:  # the broker's close, the end of the stream, or a late reply
                self.kombu.connection.drain_events(timeout=0)
            return True
        except Exception:
            return False

    def close(self):
        self.kombu.release()


class RpcClient:
    def __init__(self, settings, size=8, timeout=None, circuit_seconds=5.0):
        self.amqp_uri = settings.amqp_uri
        self.timeout = timeout or settings.rpc_timeout
        self.idle = queue.LifoQueue(maxsize=size)
        # service -> monotonic time until which calls to it fail at once: after a timeout or
        # an "unknown service", the next pages don't each wait for it again.
        self.open_circuits = {}
        self.circuit_seconds = circuit_seconds

    def _discard(self, connection):
        try:
            connection.close()
        except Exception:  # the connection is already gone
            pass

    def _take(self):
        while True:
            try:
                connection = self.idle.get_nowait()
            except queue.Empty:
                return _Connection(self.amqp_uri, self.timeout)
            if connection.alive():
                return connection
            self._discard(connection)

    @contextmanager
    def _checkout(self):
        connection = self._take()
        healthy = False
        try:
            yield connection
            healthy = True
        finally:
            if healthy:
                try:
                    self.idle.put_nowait(connection)
                except queue.Full:
                    self._discard(connection)
            else:
                self._discard(connection)

    def call(self, service, method, *args, **kwargs):
        """One call; expected refusals (PortailError) pass through, the rest is unavailability."""
        call = Call(service, method, *args, **kwargs)
        self.gather([call])
        if call.error is not None:
            raise call.error
        return call.result

    def gather(self, calls):
        """Run several calls in parallel on one connection; each gets its result or error.

        Never raises for a failed call: a page shows what it got and marks the rest unavailable.
        The calls are sent together, so one service that does not answer costs one timeout, and
        the replies of the others, received meanwhile, are read at once after it.
        """
        answered = set()
        now = time.monotonic()
        # The calls share one deadline: a page waits RPC_TIMEOUT at most, however many of
        # its calls go to a service that does not answer.
        deadline = now + self.timeout
        calls_to_make = [c for c in calls if self.open_circuits.get(c.service, 0) <= now]
        try:
            with self._checkout() as connection:
                sent = [(call, connection.send(call.service, call.method, list(call.args),
                                               call.kwargs)) for call in calls_to_make]
                timed_out = None
                for call, correlation_id in sent:
                    try:
                        call.result = connection.result(correlation_id, deadline)
                        answered.add(id(call))
                    except PortailError as exc:
                        call.error = exc
                        answered.add(id(call))
                    except RemoteError as exc:  # a bug in the service: logged there, hidden here
                        log.error("%s.%s failed: %s", call.service, call.method, exc)
                    except UnknownService as exc:  # not deployed or not started: fail fast
                        self._open_circuit(call.service)
                        log.warning("rpc unavailable (%s.%s): %r", call.service, call.method, exc)
                    except socket.timeout as exc:
                        self._open_circuit(call.service)
                        timed_out = exc
                if timed_out is not None:
                    # A read cut by the timeout may have left half a frame: the connection
                    # is not reused.
                    raise timed_out
        except Exception as exc:  # timeout, connection lost or refused
            log.warning("rpc unavailable (%s): %r",
                        ", ".join(f"{c.service}.{c.method}" for c in calls
                                  if id(c) not in answered), exc)
        for call in calls:
            if id(call) not in answered:
                call.error = ServiceUnavailable()
        return calls

    def _open_circuit(self, service):
        self.open_circuits[service] = time.monotonic() + self.circuit_seconds

    def close(self):
        while True:
            try:
                self._discard(self.idle.get_nowait())
            except queue.Empty:
                return


def wait_until_healthy(client, service, deadline_seconds=30):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            if client.call(service, "health").get("status") == "ok":
                return True
        except PortailError:
            pass
        time.sleep(0.2)
    return False


class ServiceRpc(RpcProxy):
    """Calls another service from inside a nameko service, with the RPC_TIMEOUT nameko's own
    RpcProxy lacks: `self.children.families_enrolled(prestation_id)`; a service that does not
    answer in time raises ServiceUnavailable instead of holding the worker forever."""

    def setup(self):
        super().setup()
        self.timeout = settings_module.load().rpc_timeout

    def get_dependency(self, worker_ctx):
        return _TimedProxy(super().get_dependency(worker_ctx), self.timeout)


class _TimedProxy:
    def __init__(self, proxy, timeout):
        self._proxy, self._timeout = proxy, timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, **kwargs):
            reply = method.call_async(*args, **kwargs)
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise ServiceUnavailable() from None
        return call
