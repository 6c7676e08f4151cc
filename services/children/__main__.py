from services.common.runner import run  # first: patches the standard library for eventlet

from services.children.service import ChildrenService

run(ChildrenService)
