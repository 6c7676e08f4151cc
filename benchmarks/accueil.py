"""Benchmark of the parents' home page (Accueil) against a running `make run`.

    python benchmarks/accueil.py [URL] [--users 20] [--duration 10] [--think 0]   (or: make bench)

Generates (or reuses) the load-test families with `python -m deploy.demo --families N`, logs
N parents in at once (the opening rush: every login is an Argon2 verification), then each
parent reloads /accueil for D seconds, pausing --think seconds (±50 %, as a person reading
the page) between two loads; 0, the default, is the saturation test. Prints login and page latencies (p50/p95/p99), pages per
second, errors, and the core count. Loopback only, bounded in users and time.
"""
import argparse
import ipaddress
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bonbons2015"
MAX_USERS, MAX_DURATION = 1000, 600
CSRF_INPUT = re.compile(r"<input[^>]*name=[\"']csrf_token[\"'][^>]*>")
VALUE = re.compile(r"value=[\"']([^\"']+)[\"']")


def loopback_only(url):
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        sys.exit(f"cannot resolve {host}")
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        sys.exit(f"refusing {url}: this benchmark only targets this machine (loopback)")


def families(n):
    """Identifiants of n load-test families, created if missing (idempotent)."""
    out = subprocess.run([sys.executable, "-m", "deploy.demo", "--families", str(n), "--list"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"python -m deploy.demo failed:\n{out.stderr[-2000:]}")
    return out.stdout.split()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def login(base, identifiant):
    """A logged-in session and the login's duration, or (None, reason)."""
    session = requests.Session()
    started = time.perf_counter()
    try:
        form = session.get(f"{base}/connexion", timeout=30)
        tag = CSRF_INPUT.search(form.text)
        token = VALUE.search(tag.group(0)).group(1) if tag else ""
        answer = session.post(f"{base}/connexion", timeout=30, allow_redirects=False, data={
            "identifiant": identifiant, "mot_de_passe": PASSWORD, "csrf_token": token})
    except requests.RequestException as exc:
        return None, repr(exc)
    elapsed = time.perf_counter() - started
    if answer.status_code in (302, 303) and answer.headers.get("Location", "").endswith("/accueil"):
        return session, elapsed
    return None, f"HTTP {answer.status_code} to {answer.headers.get('Location', '-')}"


def browse(base, session, stop_at, latencies, errors, lock, think=0.0):
    """Reload /accueil until stop_at; a redirect (to /connexion) counts as an error."""
    pause = random.Random(id(session))
    while time.monotonic() < stop_at:
        if think:
            time.sleep(think * pause.uniform(0.5, 1.5))
        started = time.perf_counter()
        try:
            page = session.get(f"{base}/accueil", timeout=30, allow_redirects=False)
            ok = page.status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = time.perf_counter() - started
        with lock:
            (latencies.append(elapsed) if ok else errors.append(elapsed))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=20, help=f"concurrent parents (≤ {MAX_USERS})")
    parser.add_argument("--duration", type=float, default=10,
                        help=f"seconds of reloading /accueil (≤ {MAX_DURATION})")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a parent reads a page before the next one (default 0)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--users in 1..{MAX_USERS}, --duration in (0, {MAX_DURATION}]")
    base = args.url.rstrip("/")
    loopback_only(base)
    try:
        requests.get(f"{base}/sante", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        sys.exit(f"{base} does not answer ({exc!r}): start it with `make run`")

    identifiants = families(args.users)[:args.users]
    print(f"Accueil benchmark: {args.users} parents, {args.duration:g} s, think time "
          f"{args.think:g} s, {base}, "
          f"{os.cpu_count()} cores (load generator on the same machine)")

    with ThreadPoolExecutor(args.users) as pool:
        started = time.perf_counter()
        results = list(pool.map(lambda i: login(base, i), identifiants))
        rush = time.perf_counter() - started
    sessions = [s for s, _ in results if s is not None]
    login_times = sorted(t for s, t in results if s is not None)
    failures = [reason for s, reason in results if s is None]
    print(f"logins: {len(sessions)} ok, {len(failures)} failed in {rush:.2f} s; "
          f"p50 {percentile(login_times, 50) * 1000:.0f} ms, "
          f"p95 {percentile(login_times, 95) * 1000:.0f} ms, "
          f"p99 {percentile(login_times, 99) * 1000:.0f} ms")
    if failures:
        print(f"  first failure: {failures[0]}")
    if not sessions:
        return 1

    latencies, errors, lock = [], [], threading.Lock()
    stop_at = time.monotonic() + args.duration
    threads = [threading.Thread(target=browse, args=(base, s, stop_at, latencies, errors, lock, args.think))
               for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"/accueil: {len(latencies)} pages in {elapsed:.1f} s = {len(latencies) / elapsed:.1f} "
          f"pages/s, {len(errors)} errors; latency p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms")
    return 0 if not errors and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
