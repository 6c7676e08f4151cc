from services.common.runner import run  # first: patches the standard library for eventlet

from services.requests.service import RequestsService

run(RequestsService)
