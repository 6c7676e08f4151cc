"""Shared plumbing of the Portail Famille services: settings, database sessions, outbox and
idempotent event handling, RPC and event contracts, common errors. No business logic here."""
import os

# psycopg's C wait function blocks eventlet's hub: a select()-based wait lets other green
# threads run while a query is in flight (measured in DESIGN.md). Must be set before psycopg
# is imported, hence here, in the package every service imports first.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
