"""accounts service: RPC entrypoints only; the logic lives in families.py and logins.py."""
import sqlalchemy as sa
from nameko.rpc import rpc

from services.accounts import families, logins
from services.common.db import Database
from services.common.errors import EXPECTED, AuthenticationFailed
from services.common.events import OutboxRelay, add_event


class AccountsService:
    name = "accounts"

    db = Database()
    relay = OutboxRelay()

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
        logins.end_session(self.db, session_token)
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
        return families.collectivity_dict(families.get_collectivity_row(self.db))

    # --- back office ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def update_collectivity(self, **fields):
        result = families.update_collectivity(self.db, **fields)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_family(self, responsable, conjoint=None, numero=None):
        """Create a family and its account; returns the initial credentials to hand out."""
        family, password = families.create_family(self.db, responsable, conjoint, numero)
        self.db.commit()
        return {"family": family, "identifiant": family["numero"], "password": password}
