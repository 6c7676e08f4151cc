"""Child processes of deploy/processes.py: start, health, stop. Used by deploy.run and the tests."""
import collections
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL


class Child:
    """One running process. Its output goes to `log_path`, or to our stdout prefixed by name."""

    def __init__(self, process, env, log_path=None):
        self.process = process
        self.env = env
        self.log_path = log_path
        self.popen = None
        self._recent = collections.deque(maxlen=200)  # for tail() when printing to stdout

    @property
    def name(self):
        return self.process.name

    def start(self):
        if self.log_path:
            with open(self.log_path, "ab") as log:
                self.popen = self._spawn(stdout=log)
        else:
            self.popen = self._spawn(stdout=subprocess.PIPE)
            threading.Thread(target=self._pump, args=(self.popen.stdout,), daemon=True).start()
        return self

    def _spawn(self, stdout):
        # A session of its own: Ctrl-C in the terminal reaches only the supervisor, which then
        # stops the children in order instead of every process dying at once.
        return subprocess.Popen(self.process.argv(), env=self.env, stdout=stdout,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)

    def _pump(self, stream):
        width = 10
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            self._recent.append(line)
            sys.stdout.write(f"{self.name:<{width}}| {line}\n")
            sys.stdout.flush()

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self):
        return None if self.popen is None else self.popen.poll()

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"{self.name} did not stop in {timeout} s: killed", file=sys.stderr)
                self._signal(signal.SIGKILL)
                self.popen.wait()
        return self.popen.returncode

    def _signal(self, signum):
        try:
            os.killpg(self.popen.pid, signum)  # its group: a child it started goes too
        except ProcessLookupError:
            pass

    def tail(self, lines=40):
        if self.log_path:
            try:
                with open(self.log_path, errors="replace") as log:
                    return "".join(collections.deque(log, maxlen=lines))
            except FileNotFoundError:
                return ""
        return "\n".join(list(self._recent)[-lines:])


def is_healthy(process, settings):
    if process.kind == "service":
        from services.common import health  # nameko is imported only when needed

        return health.check(settings, process.name, timeout=2)
    try:
        return requests.get(process.health_url(settings), timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_healthy(children, settings, timeout=90):
    """Wait until every child answers its health check. Returns {name: problem} for the others
    (a child that exited, or one still not answering after `timeout` seconds)."""
    deadline = time.monotonic() + timeout

    def wait_one(child):
        while time.monotonic() < deadline:
            if not child.running():
                return f"exited with code {child.returncode}"
            if is_healthy(child.process, settings):
                return None
            time.sleep(0.3)
        return f"not healthy after {timeout} s"

    if not children:
        return {}
    with ThreadPoolExecutor(len(children)) as pool:
        problems = dict(zip([c.name for c in children], pool.map(wait_one, children)))
    return {name: problem for name, problem in problems.items() if problem}


def stop_all(children, timeout=STOP_TIMEOUT):
    """Stop children in reverse start order (the gateway before the services it calls),
    all SIGTERMed at once so that the total wait is one timeout, not one per child."""
    alive = [c for c in reversed(children) if c.running()]
    for child in alive:
        child._signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in alive:
        child.stop(timeout=max(0.1, deadline - time.monotonic()))
