"""accounts service: RPC entrypoints only; the logic lives in families.py and logins.py."""
import sqlalchemy as sa
from nameko.rpc import rpc

from services.accounts import collectivity, directory, families, logins
from services.common.crypto import session_token_hash
from services.common.db import Database
from services.common.errors import EXPECTED, AuthenticationFailed
from services.common.events import OutboxRelay, add_event, subscribe
from services.common.rpc import ServiceRpc


class AccountsService:
    name = "accounts"

    db = Database()
    relay = OutboxRelay()
    requests = ServiceRpc("requests")

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    # --- parents (through the gateway) ---------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, identifiant, password):
        """Check credentials; on success a new session token and who it belongs to."""
        credential = logins.authenticate(self.db, identifiant, password)
        token = logins.open_session(self.db, credential.family_id)
        self.db.commit()
        return {"session_token": token, "account": logins.session_info(self.db, token)}

    @rpc(expected_exceptions=EXPECTED)
    def get_session(self, session_token):
        """The session's family and display name, or None when ended or expired."""
        return logins.session_info(self.db, session_token)

    @rpc(expected_exceptions=EXPECTED)
    def end_session(self, session_token):
        family_id = logins.end_session(self.db, session_token)
        if family_id is not None:  # the gateways forget it (gateway/session_trust.py)
            add_event(self.db, self.name, "session.ended",
                      {"family_id": family_id, "session": session_token_hash(session_token)})
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, session_token, current_password, new_password, confirmation):
        """Change the password of the session's family; its other sessions end."""
        info = logins.session_info(self.db, session_token)
        if info is None:
            raise AuthenticationFailed("Votre session a expiré. Veuillez vous reconnecter.")
        logins.change_password(self.db, info["family_id"], session_token,
                               current_password, new_password, confirmation)
        add_event(self.db, self.name, "password.changed", {"family_id": info["family_id"]})
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def request_password_reset(self, identifiant_or_email):
        """Email a single-use link (through messaging) if an account matches; answers the
        same whether or not one does."""
        for family_id, email, token in logins.request_password_reset(self.db, identifiant_or_email):
            add_event(self.db, self.name, "password_reset.requested", {
                "family_id": family_id, "email": email, "token": token,
                "valid_minutes": int(logins.RESET_VALID.total_seconds() // 60)})
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def check_reset_token(self, token):
        return logins.check_reset_token(self.db, token)

    @rpc(expected_exceptions=EXPECTED)
    def reset_password(self, token, new_password, confirmation):
        family_id = logins.reset_password(self.db, token, new_password, confirmation)
        add_event(self.db, self.name, "password.changed", {"family_id": family_id})
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def get_family(self, family_id):
        return families.get_family(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def get_collectivity(self):
        """Every setting of the collectivity (`logo`: whether it has one)."""
        return collectivity.collectivity_dict(collectivity.get_collectivity_row(self.db))

    @rpc(expected_exceptions=EXPECTED)
    def get_logo(self):
        """{content_type, version, content_base64}, or NotFound without a logo."""
        return collectivity.get_logo(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def list_documents(self):
        """Infos./Documents → "Formulaire": the published documents, newest first."""
        return collectivity.list_documents(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def get_document(self, document_id):
        """A published document with its content_base64 (documents are for every family)."""
        return collectivity.get_document(self.db, document_id)

    # --- back office ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def update_collectivity(self, **fields):
        """Change some settings (collectivity.FIELDS, and logo_base64); publishes
        collectivity.updated for the copies of billing and children."""
        result = collectivity.update_collectivity(self.db, **fields)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def publish_document(self, titre, filename, content_base64):
        result = collectivity.publish_document(self.db, titre, filename, content_base64)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_document(self, document_id):
        collectivity.remove_document(self.db, document_id)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def search_families(self, search="", limit=50):
        """Families by N° famille (prefix) or name of the responsable or conjoint."""
        return directory.search_families(self.db, search, limit)

    @rpc(expected_exceptions=EXPECTED)
    def create_family(self, responsable, conjoint=None, numero=None):
        """Create a family and its account; returns the initial credentials to hand out."""
        family, password = families.create_family(self.db, responsable, conjoint, numero)
        self.db.commit()
        return {"family": family, "identifiant": family["numero"], "password": password}

    # --- events -----------------------------------------------------------------------------

    @subscribe("requests", "request.accepted")
    def on_request_accepted(self, data, envelope):
        """The owner applies an accepted change of the family record, then tells the others
        (billing takes the quotient familial from family.updated)."""
        if data["type"] not in families.FAMILY_REQUEST_TYPES:
            return
        # The event carries the IBAN masked: the clear one is asked from requests.
        secrets = (self.requests.sensitive_values(data["id"])
                   if data["type"] == "bancaires" and data["new_values"].get("iban") else None)
        family = families.apply_request(self.db, data, secrets)
        add_event(self.db, self.name, "family.updated", family)
