"""CPU time per process of this machine, grouped by what they run (a portal service, the
gateway, PostgreSQL, RabbitMQ, the load generator), read from /proc before and after a phase
of a benchmark: where the CPU of each request goes. Linux only."""
import os

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = (("services.accounts", "accounts"), ("services.children", "children"),
          ("services.billing", "billing"), ("services.messaging", "messaging"),
          ("services.requests", "requests"), ("-m gateway", "gateway"),
          ("bank_stub", "bank stub"), ("postgres", "PostgreSQL"), ("beam", "RabbitMQ"),
          ("benchmarks/", "load generator"))


def _group(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return next((name for mark, name in GROUPS if mark in command), None)


def snapshot():
    """{(group, pid): CPU seconds so far} of every process of a known group."""
    seconds = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        group = _group(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if group:
            seconds[(group, pid)] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def per_request(before, after, requests):
    """'group ms, …' of CPU per request between two snapshots, the largest first."""
    spent = {}
    for (group, pid), seconds in after.items():
        spent[group] = spent.get(group, 0) + seconds - before.get((group, pid), 0)
    total = sum(spent.values()) / requests * 1000
    return f"{total:.1f} ms: " + ", ".join(
        f"{group} {seconds / requests * 1000:.1f}"
        for group, seconds in sorted(spent.items(), key=lambda kv: -kv[1]) if seconds > 0)
