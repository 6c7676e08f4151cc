"""Deployment: docker-compose.yml runs what deploy/processes.py lists; the runner's checks.

Quick tests: no broker, database or service process needed.
"""
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from deploy import run
from deploy.processes import MIGRATE, PROCESSES, Process
from deploy.supervise import Child
from services.common import settings as settings_module

ROOT = Path(__file__).resolve().parent.parent
INFRASTRUCTURE = {"rabbitmq", "postgres"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_runs_exactly_the_processes(compose):
    expected = {p.name for p in PROCESSES} | {MIGRATE.name} | INFRASTRUCTURE
    assert set(compose) == expected


@pytest.mark.parametrize("process", [*PROCESSES, MIGRATE], ids=lambda p: p.name)
def test_compose_command_and_settings(compose, process):
    service = compose[process.name]
    assert service["command"] == list(process.command)
    env = service.get("environment", {})
    assert set(env) <= set(settings_module.SETTING_NAMES), "unknown setting names"
    assert set(env) <= set(process.reads), "settings the process does not read"
    assert set(process.required) <= set(env), "required settings not set"


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.name)
def test_compose_health_check_and_order(compose, process):
    service = compose[process.name]
    check = service["healthcheck"]["test"]
    if process.kind == "service":
        assert check == ["CMD", "python", "-m", "services.common.health", process.name]
    else:  # the port it listens on, by its setting (the second name of its address)
        port = service["environment"][process.address[1].upper()]
        assert f":{port}" in " ".join(check)
        if process.kind == "http":
            assert f":{port}/sante" in " ".join(check)
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_migrate_waits_for_broker_and_database(compose):
    depends = compose["migrate"]["depends_on"]
    assert {name: d["condition"] for name, d in depends.items()} == {
        "rabbitmq": "service_healthy", "postgres": "service_healthy"}


def test_compose_publishes_the_gateway_on_8000(compose):
    assert "8000:8000" in compose["gateway"]["ports"]


def test_dockerfile_runs_as_non_root():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") or "FROM python:3.11-slim" in text
    assert "FROM python:3.11-slim" in text
    user_lines = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1] not in ("root", "0")


@pytest.mark.parametrize("process", [*PROCESSES, MIGRATE], ids=lambda p: p.name)
def test_processes_are_well_formed(process):
    assert process.command[:2] == ("python", "-m")
    assert set(process.reads) <= set(settings_module.SETTING_NAMES)
    assert set(process.required) <= set(process.reads)
    assert importlib.util.find_spec(process.command[2]) is not None, "module missing"


def test_every_written_service_is_started():
    written = {s for s in settings_module.SERVICES
               if importlib.util.find_spec(f"services.{s}") is not None
               and importlib.util.find_spec(f"services.{s}.__main__") is not None}
    started = {p.name for p in PROCESSES if p.kind == "service"}
    assert written <= started, "add a line to deploy/processes.py for each new service"


def _unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_reachability_check_names_what_is_closed():
    pg_port, mq_port = _unused_port(), _unused_port()
    settings = settings_module.load({
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}",
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{mq_port}/",
    })
    started = time.monotonic()
    problems = {dep.name: problem for dep, problem in run.check_all(settings).items()}
    assert time.monotonic() - started < 5
    assert set(problems) == {"PostgreSQL", "RabbitMQ"}
    assert f"127.0.0.1:{pg_port}" in problems["PostgreSQL"]
    assert "DATABASE_URL" in problems["PostgreSQL"]
    assert f"127.0.0.1:{mq_port}" in problems["RabbitMQ"]
    assert "AMQP_URI" in problems["RabbitMQ"]


def test_runner_refuses_a_remote_server_it_cannot_start(capsys):
    port = _unused_port()
    settings = settings_module.load({
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}",
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{_unused_port()}/"})
    deps = [d for d in run.dependencies(settings) if d.name == "PostgreSQL"]
    for dep in deps:
        dep.start_command = None  # as on a machine without PostgreSQL installed
    assert run.ensure(deps, wait=1) is False
    assert f"PostgreSQL at 127.0.0.1:{port}" in capsys.readouterr().err


def test_busy_port_is_reported():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        settings = settings_module.load({"GATEWAY_PORT": str(port), "BANK_STUB_PORT": str(_unused_port())})
        busy = run.busy_ports(settings)
    assert len(busy) == 1 and f"port {port} (GATEWAY_PORT)" in busy[0]


def _child(code, tmp_path):
    process = Process("sleeper", ("python", "-c", code), (), (), "service")
    return Child(process, env=None, log_path=tmp_path / "sleeper.log").start()


def test_child_stops_on_sigterm(tmp_path):
    child = _child("import time; print('up', flush=True); time.sleep(60)", tmp_path)
    time.sleep(0.3)
    assert child.running()
    assert child.stop(timeout=5) == -15
    assert not child.running()


def test_child_ignoring_sigterm_is_killed(tmp_path):
    code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('stubborn', flush=True); time.sleep(60)")
    child = _child(code, tmp_path)
    deadline = time.monotonic() + 5
    while "stubborn" not in child.tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.stop(timeout=0.5) == -9
    assert "stubborn" in child.tail()


def test_bank_stub_answers_sante_and_home():
    from bank_stub.app import create_app

    client = create_app(settings_module.load({})).test_client()
    sante = client.get("/sante")
    assert sante.status_code == 200 and sante.get_data(as_text=True) == "ok"
    home = client.get("/")
    assert home.status_code == 200 and "Banque partenaire" in home.get_data(as_text=True)


def test_ci_script_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "make test" in script
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")]).returncode == 0
    assert sys.version_info[:2] == (3, 11)


def test_readme_documents_every_setting_and_both_commands():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in settings_module.SETTING_NAMES if f"`{name}`" not in readme]
    assert not missing, f"add these settings to README.md's table: {missing}"
    assert "make run" in readme and "make test" in readme


def test_the_session_is_isolated_from_make_run(settings):
    assert settings.database_prefix == "portail_test"
    assert settings.database_name("accounts") == "portail_test_accounts"
    assert settings_module.load().amqp_uri == settings.amqp_uri  # what a tool under test sees
    if not os.environ.get("TEST_AMQP_URI"):  # a broker given for the tests is used as is
        assert settings.amqp_uri.endswith("/portail_test")  # not make run's vhost


def test_a_service_can_be_stopped_and_restarted(settings, services, rpc):
    from services.common import health

    assert rpc.accounts.health()["status"] == "ok"
    with services.down("accounts"):
        assert not services.children["accounts"].running()
        assert not health.check(settings, "accounts", timeout=1)
    assert health.check(settings, "accounts")


def test_runner_starts_a_stopped_local_server_and_waits_for_it():
    """As `make run` does with `rabbitmq-server -detached`: a start command that daemonizes."""
    port = _unused_port()
    server = (f"import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); "
              "s.listen(); time.sleep(10)")  # stops by itself
    start = ["bash", "-c", f"sleep 0.5; exec {sys.executable} -c \"{server}\" </dev/null >/dev/null 2>&1 &"]
    dep = run.Dependency("FakeServer", "FAKE_URL", "127.0.0.1", port, lambda: None, start)
    assert run.check(dep) is not None
    started = time.monotonic()
    assert run.ensure([dep], wait=8) is True
    assert run.check(dep) is None and time.monotonic() - started < 8


def test_the_image_ships_every_data_file():
    """The Dockerfile's `pip install .` (not editable) copies only package-data patterns."""
    import fnmatch
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["*"]
    left_out = [str(path.relative_to(ROOT))
                for package in ("services", "gateway", "deploy", "bank_stub")
                for path in (ROOT / package).rglob("*")
                if path.is_file() and path.suffix not in (".py", ".pyc")
                and "__pycache__" not in path.parts
                and not any(fnmatch.fnmatch(path.name, p) for p in patterns)]
    assert not left_out, f"add their patterns to package-data in pyproject.toml: {left_out}"
