"""Every @rpc method of services/<name>/service.py, for the tests that must cover them all
(the reference, the hostile inputs, the cross-family matrix): a new method not covered fails."""
import importlib
import inspect

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from services.common.settings import SERVICES


def rpc_methods():
    """[(service, method name, signature without self)], in the services' order."""
    found = []
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.service")
        for cls in vars(module).values():
            if not isinstance(cls, type) or getattr(cls, "name", None) != name:
                continue
            for attr, member in vars(cls).items():
                if any(isinstance(ext, Rpc)
                       for ext in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())):
                    signature = inspect.signature(member)
                    params = list(signature.parameters.values())[1:]
                    found.append((name, attr, signature.replace(parameters=params)))
    return found
