"""Calling services from outside nameko (gateway, admin tool, health checks, tests).

A standalone nameko proxy is not thread-safe and sends no heartbeats, so callers check one out
of a pool per call or page, and a proxy that failed (timeout, lost connection) is thrown away
rather than reused. Every call has a timeout (RPC_TIMEOUT, at most 5 s).
"""
import logging
import queue
import time
from contextlib import contextmanager

import eventlet
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import RpcProxy
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import settings as settings_module
from services.common.errors import PortailError, ServiceUnavailable

log = logging.getLogger(__name__)


def tune_publishers():
    """How this process publishes RPC messages (profiled: docs/operations.md).

    - Replies without waiting for the broker's confirmation: a reply lost with the broker is
      a timeout for the caller, confirmed or not, and the round trip cost a quarter of a
      short call's CPU in the service.
    - Requests not persisted by the broker: a request is worth nothing once its caller has
      stopped waiting (RPC_TIMEOUT), so one kept across a broker restart would act after the
      parent was told it failed; and writing it cost a third of the broker's CPU per call.
      Requests keep their confirmation: it is how an unknown service is told at once.
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


class RpcClient:
    def __init__(self, settings, size=8, timeout=None, circuit_seconds=5.0):
        tune_publishers()
        self.config = settings.nameko_config
        self.timeout = timeout or settings.rpc_timeout
        self.idle = queue.LifoQueue(maxsize=size)
        # service -> monotonic time until which calls to it fail at once: after a timeout or
        # an "unknown service", the next pages don't each wait for it again.
        self.open_circuits = {}
        self.circuit_seconds = circuit_seconds

    def _new_proxy(self):
        proxy = ClusterRpcProxy(self.config, timeout=self.timeout)
        return proxy, proxy.start()

    def _discard(self, entry):
        try:
            entry[0].stop()
        except Exception:  # the connection is already gone
            pass

    @contextmanager
    def _checkout(self):
        try:
            entry = self.idle.get_nowait()
        except queue.Empty:
            entry = self._new_proxy()
        healthy = False
        try:
            yield entry
            healthy = True
        finally:
            if healthy:
                try:
                    self.idle.put_nowait(entry)
                except queue.Full:
                    self._discard(entry)
            else:
                self._discard(entry)

    def call(self, service, method, *args, **kwargs):
        """One call; expected refusals (PortailError) pass through, the rest is unavailability."""
        call = Call(service, method, *args, **kwargs)
        self.gather([call])
        if call.error is not None:
            raise call.error
        return call.result

    def gather(self, calls):
        """Run several calls in parallel on one proxy; each gets its result or error.

        Never raises for a failed call: a page shows what it got and marks the rest unavailable.
        The calls are sent together, so one service that does not answer costs one timeout, and
        the replies of the others, received meanwhile, are read at once after it.
        """
        answered = set()
        now = time.monotonic()
        deadline = now + self.timeout
        calls_to_make = [c for c in calls if self.open_circuits.get(c.service, 0) <= now]
        try:
            with self._checkout() as (cluster, proxy):
                # The calls share one deadline: a page waits RPC_TIMEOUT at most, however many
                # of its calls go to a service that does not answer.
                consumer = cluster._reply_listener.queue_consumer
                pending, failed = [], None
                for call in calls_to_make:
                    try:
                        pending.append((call, getattr(proxy[call.service], call.method)
                                        .call_async(*call.args, **call.kwargs)))
                    except UnknownService as exc:  # not deployed or not started: fail fast
                        self._open_circuit(call.service)
                        failed = exc  # the publisher's channel was closed: discard the proxy
                for call, reply in pending:
                    consumer.timeout = max(0.01, deadline - time.monotonic())
                    try:
                        call.result = reply.result()
                        answered.add(id(call))
                    except PortailError as exc:
                        call.error = exc
                        answered.add(id(call))
                    except RemoteError as exc:  # a bug in the service: logged there, hidden here
                        log.error("%s.%s failed: %s", call.service, call.method, exc)
                    except RpcTimeout as exc:
                        self._open_circuit(call.service)
                        failed = exc  # this proxy's connection was reset: discard it
                if failed is not None:
                    raise failed
        except Exception as exc:  # timeout, unknown service, connection lost
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
