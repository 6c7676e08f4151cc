"""Starts one nameko service in this process: `python -m services.<name>` calls `run`.

eventlet must patch the standard library before anything opens a socket, hence at import.
"""
import warnings

# eventlet announces its deprecation in 8 lines at every start; known, and only noise here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import signal  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from services.common import rpc  # noqa: E402
from services.common import settings as settings_module  # noqa: E402


def nameko_config(settings):
    return {**settings.nameko_config, "max_workers": 10}


def run(*service_classes):
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # nameko logs expected refusals (wrong password…) as warnings with a traceback: keep
    # only real errors.
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)
    settings = settings_module.load()
    rpc.tune_publishers()
    runner = ServiceRunner(nameko_config(settings))
    for cls in service_classes:
        runner.add_service(cls)

    stopping = []

    def shutdown(signum, frame):
        # A second signal must not start a second stop: nameko would wait on it forever.
        if not stopping:
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    runner.wait()
