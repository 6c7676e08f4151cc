"""Child processes of deploy/processes.py: start, health, stop. Used by deploy.run and the tests."""
import collections
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

from services.common import health

STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL


def die_with_parent():
    """In the child, before exec (Linux): SIGTERM when the supervisor dies, even by SIGKILL,
    so that no orphan keeps consuming messages after a crashed run or test session."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class Child:
    """One running process. Its output goes to `log_path`, or to our stdout prefixed by name."""

    def __init__(self, process, env, log_path=None):
        self.process = process
        self.env = env
        self.log_path = log_path
        self.popen = None
        self._recent = collections.deque(maxlen=200)  # for tail() when printing to stdout
        self._terminated = False

    @property
    def name(self):
        return self.process.name

    def start(self):
        self._terminated = False
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
                                start_new_session=True, preexec_fn=die_with_parent)

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

    def terminate(self):
        """SIGTERM, once: a second one could interrupt a graceful stop half-way."""
        if self.running() and not self._terminated:
            self._terminated = True
            self._signal(signal.SIGTERM)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns the exit code."""
        if self.popen is None:
            return None
        self.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"{self.name} did not stop in {timeout:.0f} s: killed", file=sys.stderr)
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
        return health.check(settings, process.name, timeout=2)
    if process.kind == "tcp":
        try:
            socket.create_connection(process.host_port(settings), timeout=2).close()
            return True
        except OSError:
            return False
    try:
        return requests.get(process.health_url(settings), timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_healthy(children, settings, timeout=90):
    """Wait until every child answers its health check. Returns {name: problem} for the others
    (a child that exited, or one still not answering after `timeout` seconds).

    One loop in this thread: nameko's imports misbehave in worker threads (a thread pool
    never finished joining), and each check takes a fraction of a second anyway.
    """
    deadline = time.monotonic() + timeout
    waiting = list(children)
    problems = {}
    while waiting:
        for child in list(waiting):
            if not child.running():
                problems[child.name] = f"exited with code {child.returncode}"
                waiting.remove(child)
            elif is_healthy(child.process, settings):
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            problems.update({c.name: f"not healthy after {timeout} s" for c in waiting})
            break
        if waiting:
            time.sleep(0.3)
    return problems


def stop_all(children, timeout=STOP_TIMEOUT):
    """Stop children in reverse start order (the gateway before the services it calls),
    all SIGTERMed at once so that the total wait is one timeout, not one per child."""
    alive = [c for c in reversed(children) if c.running()]
    for child in alive:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in alive:
        child.stop(timeout=max(0.1, deadline - time.monotonic()))
