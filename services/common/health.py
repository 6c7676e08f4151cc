"""`python -m services.common.health <service>`: exit 0 when the service answers in 2 s.

Used by docker-compose health checks and by the local runner.
"""
import sys

from services.common import settings as settings_module
from services.common.rpc import RpcClient


def check(settings, service, timeout=2):
    client = RpcClient(settings, size=1, timeout=timeout, circuit_seconds=0)
    try:
        return client.call(service, "health").get("status") == "ok"
    except Exception:
        return False
    finally:
        client.close()


def main(argv):
    if len(argv) != 2:
        print("usage: python -m services.common.health <service>", file=sys.stderr)
        return 2
    ok = check(settings_module.load(), argv[1])
    print(f"{argv[1]}: {'ok' if ok else 'indisponible'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
