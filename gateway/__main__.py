"""`python -m gateway`: serve the portal with waitress."""
import logging

from waitress import serve

from gateway.app import create_app
from services.common import settings as settings_module


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings_module.load()
    app = create_app(settings)
    serve(app, host=settings.gateway_host, port=settings.gateway_port,
          threads=settings.gateway_threads, ident="portail")


if __name__ == "__main__":
    main()
