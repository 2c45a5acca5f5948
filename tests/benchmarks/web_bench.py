"""``make bench``: Selfie's pages under gunicorn and wrk, beside a bare Flask page.

For each back end (SQLite with sessions in the database; PostgreSQL with
Redis sessions) the bench prepares a database with the register (100,000
customers and 300,000 services by default, built once by the real import and
reused), registers Anna with 20 services through the real flow (terms, the
OIDC provider over HTTP, the account form), starts gunicorn with 2 sync
workers on loopback, and drives it with wrk: GET /login, GET Egna tjänster
and GET Egna detaljer signed in, POST /login. Each Selfie run alternates with
a run against a bare Flask app rendering a template of the same size under
the same gunicorn settings; the ratio of the two is the figure, absolute
numbers only describe the machine. In-process, it counts the SQL statements
(and Redis writes) of each page, measures one argon2id verification, and the
memory of the workers. The report is written as Markdown (docs/performance.md).

``python -m tests.benchmarks.web_bench --customers 200 --seconds 1`` is the
smoke run the test suite makes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.servers import REPOSITORY as PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "instance" / "bench"
PASSWORD = "correct horse battery staple"
USERNAME = "anna.bench@example.fi"
SERVICES_FOR_ANNA = 20
WORKERS = 2
PAGES = {
    "GET /login": ("GET", "/login", False),
    "GET Egna tjänster": ("GET", "/account/services", True),
    "GET Egna detaljer": ("GET", "/account/details", True),
    "POST /login": ("POST", "/login", False),
}
LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0


@dataclass
class Backend:
    name: str
    pages: dict[str, dict[int, tuple[Run, Run]]] = field(default_factory=dict)
    statements: dict[str, dict[str, int]] = field(default_factory=dict)
    worker_rss_after_import_kib: list[int] = field(default_factory=list)
    worker_peak_kib: list[int] = field(default_factory=list)
    bare_peak_kib: list[int] = field(default_factory=list)
    login_bound: float = 0.0
    verify_ms: float = 0.0


# -- the register -------------------------------------------------------------------
def anna_rows(customers: int):
    """Anna (the provider's anna.andersson) as one more customer, with 20 services."""
    from app.services.customers.demo import FEATURED, PRODUCTS

    anna = FEATURED[0]
    number = str(1_000_000 + customers)
    customer = [number, anna.code, "Anna Andersson", "Storgatan 1", "65100", "Vasa"]
    customer += [USERNAME, "050 123 4567", ""]
    services = []
    for index in range(SERVICES_FOR_ANNA):
        kind, name, details, price = PRODUCTS[index % len(PRODUCTS)]
        services.append(
            [str(9_000_000 + index), number, kind, name, details, "Storgatan 1, Vasa"]
            + ["2020-01-01", price, "active"]
        )
    return customer, services


def write_register(directory: Path, customers: int) -> tuple[Path, Path]:
    from tests.benchmarks.import_bench import generate

    customers_csv, services_csv = generate(directory, customers, customers * 3)
    customer, services = anna_rows(customers)
    with customers_csv.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(customer)
    with services_csv.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(services)
    return customers_csv, services_csv


def prepare_database(url: str, customers: int, settings: dict) -> float:
    """Migrate and import the register into ``url``; returns the import's seconds."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.customers.importer import import_register

    app = create_app(settings | {"DATABASE_URL": url})
    with tempfile.TemporaryDirectory(prefix="selfie-bench-") as temp, app.app_context():
        upgrade()
        customers_csv, services_csv = write_register(Path(temp), customers)
        started = time.perf_counter()
        import_register(
            customers_csv,
            services_csv,
            identity_key=app.config["IDENTITY_KEY"],
            allow_temporary=True,
        )
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return seconds


def sqlite_database(customers: int, settings: dict, work: Path) -> str:
    """A copy of the cached register database (built once per size)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    cached = BENCH_DIR / f"register-{customers}.sqlite3"
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        seconds = prepare_database(f"sqlite:///{partial}", customers, settings)
        print(f"  built {cached.name} ({seconds:.1f} s import)", flush=True)
        partial.rename(cached)
    target = work / "selfie.sqlite3"
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}"


def postgres_database(customers: int, settings: dict) -> str | None:
    """A fresh database cloned from a cached template database (built once per size)."""
    import sqlalchemy as sa

    template = f"selfie_bench_register_{customers}"
    name = f"selfie_bench_run_{os.getpid()}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{template}"'))
                try:
                    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{template}"
                    seconds = prepare_database(url, customers, settings)
                except BaseException:
                    connection.execute(sa.text(f'DROP DATABASE "{template}" WITH (FORCE)'))
                    raise
                print(f"  built PostgreSQL {template} ({seconds:.1f} s import)", flush=True)
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    except sa.exc.OperationalError as error:
        print(f"  PostgreSQL not reachable, skipped: {error.orig}")
        return None
    finally:
        admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_postgres(url: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = url.rsplit("/", 1)[1]
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# -- servers --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)  # polling a port that is not open yet: nothing to wait on
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path):
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def workers(process: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


# -- wrk ----------------------------------------------------------------------------------
def wrk(url: str, connections: int, seconds: float, script: Path | None = None) -> Run:
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections)]
    command += ["-d", f"{max(1, round(seconds))}s", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    latencies = {}
    for percentile, value, unit in LATENCY.findall(output):
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        latencies[percentile] = float(value) * factor
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Run(
        rate=float(RATE.search(output).group(1)),
        p50_ms=latencies.get("50", 0.0),
        p99_ms=latencies.get("99", 0.0),
        non_2xx=int(errors.group(1)) if errors else 0,
    )


def lua_script(path: Path, method: str, headers: dict[str, str], body: str = "") -> Path:
    lines = [f'wrk.method = "{method}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = {json.dumps(value)}')
    if body:
        lines.append(f"wrk.body = {json.dumps(body)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the customer ------------------------------------------------------------------------
def register_anna(settings: dict) -> None:
    """Anna registers through the real flow (in-process client, the provider over HTTP)."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import Registration, english_client

    app = create_app(settings)
    client = english_client(app)
    response = Registration(client).register("anna.andersson", USERNAME, PASSWORD)
    if response.status_code != 303:
        raise RuntimeError(f"registration failed: {response.status_code}")
    services = client.get("/account/services").text
    found = services.count("/account/services/")
    if found < SERVICES_FOR_ANNA:
        raise RuntimeError(f"Anna sees {found} services, not {SERVICES_FOR_ANNA}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count_statements(settings: dict, backend: Backend) -> None:
    """SQL statements (and writes) per page, signed in and anonymous, in-process."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import csrf_token, english_client
    from tests.support.writes import redis_commands, sql_statements

    app = create_app(settings | {"WTF_CSRF_ENABLED": True})
    reader, member = english_client(app), english_client(app)
    token = csrf_token(member.get("/login").text)
    answer = member.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login in-process failed: {answer.status_code} {answer.text[:2000]}")
    with app.app_context():  # requests must not run inside it: they would share ``g``
        engine = db.engine
    for label, (method, path, signed_in) in PAGES.items():
        if method != "GET":
            continue
        client = member if signed_in else reader
        client.get(path)  # the first visit may set up what later ones reuse
        redis_url = settings.get("REDIS_URL")
        with ExitStack() as stack:
            sql = stack.enter_context(sql_statements(engine))
            seen = stack.enter_context(redis_commands(redis_url)) if redis_url else None
            status = client.get(path).status_code
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
        backend.statements[label] = {
            "sql": len(sql.sent),
            "sql_writes": len(sql.writes),
            "redis_writes": len(seen.writes) if seen else 0,
        }
    engine.dispose()


def verify_seconds(settings: dict) -> float:
    """CPU seconds of one argon2id verification with the configured parameters."""
    from app import create_app
    from app.services.accounts import passwords

    app = create_app(settings)
    with app.app_context():
        stored = passwords.hash_password(PASSWORD)
        started = time.process_time()
        for _ in range(5):
            passwords.verify_password(stored, PASSWORD)
        return (time.process_time() - started) / 5


def signed_in_cookie(base: str) -> str:
    """Sign in over HTTP; the Cookie header wrk sends for the signed-in pages."""
    browser = requests.Session()
    browser.cookies.set("selfie_lang", "en")
    page = browser.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = browser.post(
        f"{base}/login",
        data={"username": USERNAME, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login over HTTP failed: {answer.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def login_form(base: str) -> tuple[str, str]:
    """A reader's light cookie and the login form's token, for wrk's POST /login."""
    browser = requests.Session()
    browser.cookies.set("selfie_lang", "en")
    page = browser.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    body = requests.models.RequestEncodingMixin._encode_params(
        {"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    return cookie, body


# -- one back end -----------------------------------------------------------------------------
def bench_backend(backend: Backend, settings: dict, seconds: float, work: Path) -> None:
    register_anna(settings)
    count_statements(settings, backend)
    backend.verify_ms = verify_seconds(settings) * 1000
    backend.login_bound = WORKERS / (backend.verify_ms / 1000)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SELFIE_ENV": "development",
        "SELFIE_INSTANCE_PATH": str(work),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    for name in ("SECRET_KEY", "IDENTITY_KEY", "DATABASE_URL", "REDIS_URL", "OIDC_ISSUER"):
        if settings.get(name):
            env[f"SELFIE_{name}"] = str(settings[name])
    env["SELFIE_RATELIMIT_ENABLED"] = "false"  # POST /login is driven from one address
    log = work / "gunicorn.log"
    with gunicorn("wsgi:app", env, log) as (base, selfie):
        backend.worker_rss_after_import_kib = [memory_kib(p, "VmRSS") for p in workers(selfie)]
        cookie = signed_in_cookie(base)
        login_cookie, login_body = login_form(base)
        page = requests.get(f"{base}/account/services", headers={"Cookie": cookie}, timeout=10)
        size = len(page.content)
        bare_env = {"PATH": env["PATH"], "PYTHONPATH": str(PROJECT_ROOT)}
        bare_env["SELFIE_BARE_BYTES"] = str(size)
        with gunicorn("tests.benchmarks.bare_app:app", bare_env, log) as (bare, bare_process):
            scripts = {
                "GET /login": lua_script(work / "login.lua", "GET", {"Cookie": "selfie_lang=en"}),
                "GET Egna tjänster": lua_script(work / "signed.lua", "GET", {"Cookie": cookie}),
                "GET Egna detaljer": lua_script(work / "signed.lua", "GET", {"Cookie": cookie}),
                "POST /login": lua_script(
                    work / "post.lua",
                    "POST",
                    {
                        "Cookie": login_cookie + "; selfie_lang=en",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                    login_body,
                ),
            }
            for connections in (10, 50):
                for label, (_, path, _) in PAGES.items():
                    baseline = wrk(f"{bare}/", connections, seconds)
                    measured = wrk(f"{base}{path}", connections, seconds, scripts[label])
                    backend.pages.setdefault(label, {})[connections] = (measured, baseline)
                    print(
                        f"  {label:20} c={connections:<3} {measured.rate:8.1f} req/s "
                        f"vs bare {baseline.rate:8.1f} = {measured.rate / baseline.rate:5.2f}"
                        f"  p99 {measured.p99_ms:6.1f} ms",
                        flush=True,
                    )
            backend.worker_peak_kib = [memory_kib(p, "VmHWM") for p in workers(selfie)]
            backend.bare_peak_kib = [memory_kib(p, "VmHWM") for p in workers(bare_process)]


def base_settings(work: Path, issuer: str) -> dict:
    from tests.conftest import base_settings as test_settings

    settings = test_settings(work, issuer)
    settings.pop("SERVER_NAME")
    settings["SECRET_KEY"] = "bench-secret-key"
    return settings


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--report", type=Path, default=PROJECT_ROOT / "docs" / "performance.md")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--redis-url", default=os.environ.get("SELFIE_BENCH_REDIS_URL", ""))
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    from oidc_provider_mock import User, run_server_in_thread

    from app.services.customers.demo import FEATURED
    from tests.benchmarks import report

    users = [User(sub=p.sub, claims={"hetu": p.code}) for p in FEATURED]
    results: list[Backend] = []
    started = time.perf_counter()
    with (
        run_server_in_thread(require_nonce=True, user_claims=users) as server,
        tempfile.TemporaryDirectory(prefix="selfie-bench-") as temp,
    ):
        issuer = f"http://localhost:{server.server_port}"
        for name in args.backends.split(","):
            work = Path(temp) / name
            work.mkdir()
            settings = base_settings(work, issuer)
            print(f"{name}: {args.customers:,} customers", flush=True)
            if name == "sqlite":
                settings["DATABASE_URL"] = sqlite_database(args.customers, settings, work)
                backend = Backend("SQLite, sessions in the database")
                bench_backend(backend, settings, args.seconds, work)
            else:
                if not args.redis_url:
                    print("  no --redis-url / SELFIE_BENCH_REDIS_URL: PostgreSQL + Redis skipped")
                    continue
                url = postgres_database(args.customers, settings)
                if url is None:
                    continue
                import redis

                redis.Redis.from_url(args.redis_url).flushdb()
                settings |= {"DATABASE_URL": url, "REDIS_URL": args.redis_url}
                backend = Backend("PostgreSQL, sessions in Redis")
                try:
                    bench_backend(backend, settings, args.seconds, work)
                finally:
                    drop_postgres(url)
                    redis.Redis.from_url(args.redis_url).flushdb()
            results.append(backend)
    facts = {
        "customers": args.customers,
        "seconds": args.seconds,
        "total_seconds": time.perf_counter() - started,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
    }
    text = report.markdown(results, facts)
    args.report.write_text(text, encoding="utf-8")
    print(f"wrote {args.report}")
    summary = report.as_dict(results, facts)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
