"""`python -m gateway`: serve the portal with waitress."""
import logging

from waitress import serve

from gateway.app import create_app
from services.common import settings as settings_module


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # waitress logs "Task queue depth is N" for every request that waits for a thread: under
    # load, a line per request (measured: CPU taken from the requests themselves).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    settings = settings_module.load()
    app = create_app(settings)
    serve(app, host=settings.gateway_host, port=settings.gateway_port,
          threads=settings.gateway_threads, ident="portail")


if __name__ == "__main__":
    main()
