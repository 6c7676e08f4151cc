from services.common.runner import run  # first: patches the standard library for eventlet

from services.messaging.service import MessagingService

run(MessagingService)
