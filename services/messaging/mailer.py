"""Sends queued email notifications through SMTP, with retries.

A mail server that is down delays notifications (back-off up to 5 minutes), it never loses
them. A notification is marked sent in the same transaction that held its row lock, so two
instances of the service never send the same one.
"""
import datetime as dt
import email.utils
import logging
import smtplib
import threading
from email.message import EmailMessage

import eventlet
import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from services.common import settings as settings_module
from services.common.db import make_engine
from services.messaging.models import Notification

log = logging.getLogger(__name__)

_queued = threading.Event()  # set after a commit that queued notifications


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _wake_mailer(session):
    if session.info.pop("notifications", False):
        _queued.set()


def build_email(settings, notification):
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message["Date"] = email.utils.formatdate(localtime=True)
    # Stable id: a receiver can tell a (rare) resend after a crash from a new message.
    message["Message-ID"] = f"<notification-{notification.id}@portail-famille>"
    message.set_content(notification.body)
    return message


def send_due(settings, engine, batch_size=20):
    """Send what is due; returns how many were sent. Failures are rescheduled."""
    sent = 0
    with engine.begin() as conn:
        session = sa.orm.Session(bind=conn)
        due = session.scalars(
            sa.select(Notification)
            .where(Notification.status == "a_envoyer", Notification.next_attempt_at <= sa.func.now())
            .order_by(Notification.id).limit(batch_size).with_for_update(skip_locked=True)).all()
        if not due:
            return 0
        try:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
        except OSError as exc:
            for notification in due:
                _reschedule(notification, exc)
            session.flush()
            log.warning("mail server %s:%s unreachable: %r", settings.smtp_host,
                        settings.smtp_port, exc)
            return 0
        try:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            for notification in due:
                try:
                    smtp.send_message(build_email(settings, notification))
                except (smtplib.SMTPException, OSError) as exc:
                    _reschedule(notification, exc)
                else:
                    notification.status, notification.sent_at = "envoye", sa.func.now()
                    notification.attempts += 1
                    sent += 1
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        session.flush()
    return sent


def _reschedule(notification, exc):
    notification.attempts += 1
    notification.last_error = repr(exc)[:500]
    delay = min(300, 2 ** min(notification.attempts, 9))
    notification.next_attempt_at = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay))


class Mailer(DependencyProvider):
    """Runs the sending loop inside the messaging service."""

    idle_wait = 1.0

    def setup(self):
        self.settings = settings_module.load()
        self.engine = make_engine(self.settings.service_database_url(self.container.service_name),
                                  pool_size=1)
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        _queued.set()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def _run(self):
        while self.running:
            try:
                while self.running and send_due(self.settings, self.engine) > 0:
                    pass
            except Exception:  # database down: retry later
                log.exception("mailer failed")
                eventlet.sleep(2)
            _queued.wait(self.idle_wait)
            _queued.clear()
