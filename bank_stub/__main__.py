"""`python -m bank_stub`: serve the stub on BANK_STUB_HOST:BANK_STUB_PORT."""
import logging

from waitress import serve

from bank_stub.app import create_app
from services.common import settings as settings_module


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings_module.load()
    logging.getLogger("bank_stub").info("bank stub on http://%s:%s",
                                        settings.bank_stub_host, settings.bank_stub_port)
    serve(create_app(settings), host=settings.bank_stub_host, port=settings.bank_stub_port,
          threads=8, ident="bank_stub")


if __name__ == "__main__":
    main()
