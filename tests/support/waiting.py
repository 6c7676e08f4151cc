"""Waiting for what another process does asynchronously (an event handled, an email sent, a
server back): the tests' one way of doing it."""
import time


def wait_for(predicate, timeout=20, interval=0.1):
    """The predicate's first true value within `timeout` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
