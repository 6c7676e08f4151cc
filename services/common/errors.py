"""Errors that cross the RPC boundary.

Each carries French messages for the parent. They are registered with nameko so that a caller
receives an instance of the same class (with the same messages), not a generic RemoteError.
Services list them in `expected_exceptions` so they are not logged as crashes.
"""
from nameko.exceptions import deserialize_to_instance


class PortailError(Exception):
    """Base: an expected refusal, with one or more messages in French."""

    default_message = "La demande n'a pas pu être traitée."

    def __init__(self, *messages):
        super().__init__(*(messages or (self.default_message,)))

    @property
    def messages(self):
        return list(self.args)

    def __str__(self):
        return " ".join(str(m) for m in self.args)


@deserialize_to_instance
class ValidationError(PortailError):
    default_message = "Les informations saisies ne sont pas valides."


@deserialize_to_instance
class NotFound(PortailError):
    default_message = "Élément introuvable."


@deserialize_to_instance
class Forbidden(PortailError):
    default_message = "Accès refusé."


@deserialize_to_instance
class AuthenticationFailed(PortailError):
    default_message = "Identifiant ou mot de passe incorrect."


@deserialize_to_instance
class AccountLocked(PortailError):
    default_message = "Compte temporairement bloqué après trop de tentatives."


@deserialize_to_instance
class Conflict(PortailError):
    default_message = "Cette opération a déjà été effectuée."


class ServiceUnavailable(PortailError):
    """Raised on the caller's side when a service does not answer in time."""

    default_message = "Service momentanément indisponible. Veuillez réessayer plus tard."


EXPECTED = (ValidationError, NotFound, Forbidden, AuthenticationFailed, AccountLocked, Conflict)
