from services.common.runner import run  # first: patches the standard library for eventlet

from services.accounts.service import AccountsService

run(AccountsService)
