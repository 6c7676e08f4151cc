"""The contracts between services: which events exist, who publishes and who listens.

A subscription listed here gets its queue declared on the broker before any event is
published (at deploy time and by the publisher's relay), so a handler started after an event
was committed still receives it. The queue name is the one nameko derives for the handler.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    source: str  # the service that owns the state and publishes the event
    type: str
    description: str


@dataclass(frozen=True)
class Subscription:
    source: str
    event_type: str
    service: str  # the listening service
    method: str  # its handler method

    @property
    def queue_name(self):
        # nameko's SERVICE_POOL naming: one queue per (listening service, handler method).
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


EVENTS = (
    Event("accounts", "family.created",
          "A family and its account were created by the back office. Data: the family as "
          "accounts.get_family returns it: {id, numero, responsable: {...}, conjoint: {...}|None}."),
    Event("accounts", "family.updated",
          "A family's record (responsable, conjoint) changed. Data: as family.created."),
    Event("accounts", "password.changed", "A family changed or reset its password. Data: {family_id}."),
    Event("accounts", "session.ended",
          "A parent logged out. Data: {family_id, session: the token's SHA-256 (never the "
          "token)}. No service subscribes: every gateway listens with a queue of its own "
          "(gateway/session_trust.py), as to password.changed and family.updated."),
    Event("accounts", "collectivity.updated",
          "The back office changed the collectivity's settings. Data: every setting as "
          "accounts.get_collectivity returns it (name, address, site_url, welcome_message, "
          "contact, infos_message, infos_url, force_password_change, show_balance, "
          "online_payment, planning_requests, registration_form, school_holiday_zone, logo, "
          "logo_version) + {changed: [names of the settings this change set]}; a copy only "
          "takes the changed ones."),
    Event("accounts", "password_reset.requested",
          "A parent asked for a reset link. Data: {family_id, email, token, valid_minutes}; "
          "messaging emails the link (the token is single-use and expires)."),
    # children → billing (and requests, messaging). Common data of the three: {family_id,
    # child_id, child_name "PRENOM NOM", structure, prestation_code, prestation, unit
    # ("jour"|"demi-journee"|"repas"|"heure"), date "YYYY-MM-DD", responsable "NOM PRENOM"}.
    Event("children", "booking.confirmed",
          "A day of a prestation is booked for a child. Data: common + {booking_id}."),
    Event("children", "booking.cancelled",
          "A confirmed booking was cancelled. Data: common + {booking_id, late: bool} (late: after "
          "the délai de prévenance)."),
    Event("children", "attendance.recorded",
          "The structure recorded a child's attendance for a day (recorded again: the later one "
          "wins). Data: common + {attendance_id, status: present|absent_excuse|absent_facture|"
          "heure_hors_contrat, booked: bool, quantity: decimal as string (hours for "
          "heure_hors_contrat, else \"1\")}."),
    # children → requests ("Liste des demandes": Réservations, Absences), messaging.
    Event("children", "planning_request.submitted",
          "A parent asked from the planning. Data: common + {kind: reservation|absence, "
          "request_id (the booking_id or absence id), status: en_traitement (waits for the back "
          "office) | acceptee (confirmed at once) | liste_attente, motif (the absence's reason, "
          "else \"\"), motif_refus: \"\"}."),
    Event("children", "planning_request.decided",
          "The back office accepted or refused a pending request (or a waiting-list place was "
          "given, or a closure refused it). Data: as planning_request.submitted, status: "
          "acceptee|refusee, motif_refus: the reason of a refusal."),
    Event("children", "preinscription.submitted",
          "A family asked to add a child (pré-inscription). Data: {id, family_id, nom, prenom, "
          "date_naissance, sexe, accueil, commentaire, status: en_traitement, motif_refus, "
          "child_id: None, requested_at, decided_at}."),
    Event("children", "preinscription.decided",
          "The back office accepted (child_id: the child created) or refused (motif_refus) a "
          "pré-inscription. Data: as preinscription.submitted."),
    # requests → accounts, children, billing (the owners apply an accepted change), messaging.
    Event("requests", "request.accepted",
          "The back office (or the collectivity's auto-acceptance) accepted a change request. "
          "Data: {id, family_id, category: famille|enfant, type (responsable, conjoint, "
          "fiscales, caf, bancaires; autorisations, personnes_autorisees, lunettes, sante), "
          "label, child_id|None, subject, old_values, new_values (field -> value; the IBAN and "
          "health data masked: the owner asks requests.sensitive_values(id) for them), status: "
          "acceptee, motif_refus: \"\", auto: bool, requested_at, decided_at}."),
    Event("requests", "request.refused",
          "The back office refused a change request. Data: as request.accepted, status: "
          "refusee, motif_refus: the reason."),
    Event("billing", "invoice.issued",
          "The monthly run issued an invoice. Data: {invoice_id, numero \"AL-36\", family_id, "
          "regie, period_start, period_end, issued_on, due_on (dates \"YYYY-MM-DD\"), total "
          "\"120.60\"}."),
    Event("billing", "payment.recorded",
          "A payment was recorded (back office or online). Data: {payment_id, numero, family_id, "
          "regie, mode, mode_label, amount \"120.60\", paid_on, invoice_numero|None, "
          "email|None (online: where the parent wants the receipt), numauto|None}."),
)

# Filled as services start listening (children, billing, messaging, requests issues).
SUBSCRIPTIONS = (
    # billing keeps the family copy it invoices (name, address, QF) and the days to bill.
    Subscription("accounts", "family.created", "billing", "on_family_created"),
    Subscription("accounts", "family.updated", "billing", "on_family_updated"),
    # billing and children keep the collectivity's settings they apply (issue 7).
    Subscription("accounts", "collectivity.updated", "billing", "on_collectivity_updated"),
    Subscription("accounts", "collectivity.updated", "children", "on_collectivity_updated"),
    Subscription("children", "booking.confirmed", "billing", "on_booking_confirmed"),
    Subscription("children", "booking.cancelled", "billing", "on_booking_cancelled"),
    Subscription("children", "attendance.recorded", "billing", "on_attendance_recorded"),
    # messaging keeps how to reach each family and sends the notifications events call for.
    Subscription("accounts", "family.created", "messaging", "on_family_created"),
    Subscription("accounts", "family.updated", "messaging", "on_family_updated"),
    Subscription("accounts", "password_reset.requested", "messaging", "on_password_reset_requested"),
    Subscription("children", "planning_request.decided", "messaging", "on_planning_request_decided"),
    Subscription("children", "preinscription.decided", "messaging", "on_preinscription_decided"),
    Subscription("billing", "invoice.issued", "messaging", "on_invoice_issued"),
    Subscription("requests", "request.accepted", "messaging", "on_request_accepted"),
    Subscription("requests", "request.refused", "messaging", "on_request_refused"),
    # The owner of a record applies an accepted change request on the event.
    Subscription("requests", "request.accepted", "accounts", "on_request_accepted"),
    Subscription("requests", "request.accepted", "children", "on_request_accepted"),
    Subscription("requests", "request.accepted", "billing", "on_request_accepted"),
    # requests keeps a copy of the children's requests for the "Liste des demandes".
    Subscription("children", "planning_request.submitted", "requests",
                 "on_planning_request_submitted"),
    Subscription("children", "planning_request.decided", "requests",
                 "on_planning_request_decided"),
    Subscription("children", "preinscription.submitted", "requests", "on_preinscription_submitted"),
    Subscription("children", "preinscription.decided", "requests", "on_preinscription_decided"),
    Subscription("billing", "payment.recorded", "messaging", "on_payment_recorded"),
)


def event(source, event_type):
    for known in EVENTS:
        if known.source == source and known.type == event_type:
            return known
    raise KeyError(f"unknown event {source}:{event_type}: add it to services/common/contracts.py")
