"""The mail sink (deploy/mailsink.py) as a real SMTP server process, for tests."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from deploy.mailsink import read_folder
from deploy.supervise import die_with_parent

ROOT = Path(__file__).resolve().parents[2]


class MailSink:
    def __init__(self, settings, folder):
        self.host, self.port = settings.smtp_host, settings.smtp_port
        self.folder = Path(folder)
        self.process = None

    def start(self):
        log = open(self.folder.parent / "mailsink.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "deploy.mailsink",
                                         "--dir", str(self.folder)],
                                        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=log,
                                        preexec_fn=die_with_parent)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the mail sink did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def messages(self, to=None):
        found = read_folder(self.folder)
        return [m for m in found if to is None or to in m["To"]]

    def wait_for(self, to, count=1, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(to)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.messages(to)
