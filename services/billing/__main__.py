from services.common.runner import run  # first: patches the standard library for eventlet

from services.billing.service import BillingService

run(BillingService)
