"""A few seconds of memory for the answers a page is built from (PAGE_CACHE_SECONDS, 2 by default;
0 turns it off).

On the morning registrations open, parents reload their pages again and again: a page's calls
answered less than that long ago are not asked again (its session check is reused by
gateway/session_trust.py, under its own rules). What it may show:
- the family's own changes at once, from any gateway: a request that may have changed
  something (a form, or any call a view makes itself) gives the session cookie a new `ecrit`
  mark, and answers are kept under the mark of the cookie that asked for them, so none from
  before the change is found again (no clock compared between hosts);
- the back office's changes (a new invoice, a reply) at most PAGE_CACHE_SECONDS late.
A full cache is emptied rather than grown.
"""
import threading
import time

MAX_ENTRIES = 50_000


class PageCache:
    def __init__(self, seconds):
        self.seconds = seconds
        self.entries = {}  # key -> (received at, result)
        self.lock = threading.Lock()

    def get(self, key):
        """(True, result) for an answer received less than `seconds` ago, else (False, None)."""
        entry = self.entries.get(key)
        if entry is None or self.seconds <= 0:
            return False, None
        received, result = entry
        if time.time() - received >= self.seconds:
            return False, None
        return True, result

    def put(self, key, result, received):
        """`received`: when the call was sent (an answer is as old as its question)."""
        if self.seconds <= 0:
            return
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[key] = (received, result)


def call_key(family_id, mark, call):
    """`mark`: the session cookie's `ecrit`, renewed by every request that may have changed
    something."""
    return ("famille", family_id, mark, call.service, call.method, repr(call.args),
            repr(sorted(call.kwargs.items())))
