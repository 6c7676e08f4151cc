"""Shared plumbing of the Portail Famille services: settings, database sessions, outbox and
idempotent event handling, RPC and event contracts, common errors. No business logic here."""
import os
import sys

# psycopg's C wait function blocks eventlet's hub: a select()-based wait lets other green
# threads run while a query is in flight (measured in DESIGN.md). Must be set before psycopg
# is imported, hence here, in the package every service imports first.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

# kombu tries `import librabbitmq` each time it makes a Connection — on every published message
# in nameko — and a failed import searches the whole sys.path again. We never use it: say so
# once, and the import fails at once.
sys.modules.setdefault("librabbitmq", None)
