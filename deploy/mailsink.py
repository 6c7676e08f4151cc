"""`python -m deploy.mailsink [--dir D]`: a local SMTP server that keeps every email.

`make run` points the messaging service at it (SMTP_HOST/SMTP_PORT), so a developer can read
what the portal sends: each message is printed in one line and saved as an .eml file in the
folder (default .mail/). The tests run it as a real SMTP server process too.
"""
import argparse
import email
import email.policy
import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from services.common import settings as settings_module


class Keep:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = len(list(self.folder.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count:05d}.eml"
        path.write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']} ({path})", flush=True)
        return "250 Message accepted"


def read_folder(folder):
    """Every email kept in the folder, oldest first (for tests and developers)."""
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(Path(folder).glob("*.eml"))]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m deploy.mailsink", description=__doc__)
    parser.add_argument("--dir", default=".mail", help="where to keep the emails")
    args = parser.parse_args(argv)
    settings = settings_module.load()
    controller = Controller(Keep(args.dir), hostname=settings.smtp_host, port=settings.smtp_port)
    controller.start()
    print(f"mail sink listening on {settings.smtp_host}:{settings.smtp_port}, "
          f"keeping emails in {args.dir}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
