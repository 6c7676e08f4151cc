"""Tables of the messaging database. Nothing outside this service reads them."""
import sqlalchemy as sa
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Contact(Base):
    """What messaging needs to reach a family, copied from accounts' family events."""

    __tablename__ = "contacts"
    family_id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    numero = sa.Column(sa.String(20), nullable=False)
    nom_complet = sa.Column(sa.String(200), nullable=False)
    email = sa.Column(sa.String(254), nullable=False, default="")
    mobile = sa.Column(sa.String(30), nullable=False, default="")
    autorisation_courriel = sa.Column(sa.Boolean, nullable=False, default=False)
    autorisation_sms = sa.Column(sa.Boolean, nullable=False, default=False)


class Thread(Base):
    """A conversation between one family and one structure."""

    __tablename__ = "threads"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False, index=True)
    structure_id = sa.Column(sa.Integer, nullable=False, index=True)
    structure_name = sa.Column(sa.String(200), nullable=False)
    subject = sa.Column(sa.String(200), nullable=False)
    started_by = sa.Column(sa.String(10), nullable=False)  # "famille" | "structure"
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    last_message_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    deleted_by_family_at = sa.Column(sa.DateTime(timezone=True))  # in "Messages supprimés"
    messages = orm.relationship("Message", back_populates="thread", order_by="Message.id",
                                lazy="selectin")


class Message(Base):
    __tablename__ = "messages"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    author = sa.Column(sa.String(10), nullable=False)  # "famille" | "structure"
    author_name = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    read_at = sa.Column(sa.DateTime(timezone=True))  # read by the other side
    thread = orm.relationship("Thread", back_populates="messages")
    attachments = orm.relationship("Attachment", lazy="selectin", order_by="Attachment.id")


class Attachment(Base):
    __tablename__ = "attachments"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    message_id = sa.Column(sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    filename = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    data = orm.deferred(sa.Column(sa.LargeBinary, nullable=False))


class Notification(Base):
    """An email or SMS to send (or recorded as not allowed), once per cause.

    `cause` is unique: the same event delivered twice queues one notification. The sender
    retries rows whose SMTP delivery failed, with back-off: a mail server down delays them.
    """

    __tablename__ = "notifications"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    cause = sa.Column(sa.String(200), nullable=False)
    channel = sa.Column(sa.String(10), nullable=False)  # "courriel" | "sms"
    family_id = sa.Column(sa.Integer, index=True)
    recipient = sa.Column(sa.String(254), nullable=False)
    subject = sa.Column(sa.String(300), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    # a_envoyer → envoye; non_autorise (the family said no); sms_journalise (no SMS gateway)
    status = sa.Column(sa.String(20), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    last_error = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    sent_at = sa.Column(sa.DateTime(timezone=True))
    __table_args__ = (sa.UniqueConstraint("cause", "channel"),
                      sa.Index("ix_notifications_due", "next_attempt_at",
                               postgresql_where=sa.text("status = 'a_envoyer'")))
