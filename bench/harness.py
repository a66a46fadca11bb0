"""Benchmark harness: gunicorn on a free loopback port, a load generator, latency and throughput figures.

Reused by every benchmark in bench/:
- `prepare_database(kind, url=None)`: a migrated SQLite file or PostgreSQL database.
- `gunicorn_server(app_spec, env=..., workers=...)`: serve an app factory until the block ends.
- `run_load(url, ...)` (from bench.load): wrk (Debian's package) when installed, else a multi-process
  Python generator.
- `machine_info()`, `markdown_table(...)`, `append_to_benchmarks(...)`: report what ran, where.

Load only ever goes to 127.0.0.1, is bounded in time, and stops by itself.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.load import LOADGEN_GRACE_S, LOOPBACK, LoadResult, _wrk_version, median_result, run_load

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"

# The benchmarks import the load generator's names from here too, with the rest of the harness.
__all__ = [
    "BENCHMARKS_MD",
    "DEFAULT_POSTGRES_URL",
    "LOADGEN_GRACE_S",
    "REPO_ROOT",
    "TABLE_HEADER",
    "LoadResult",
    "Server",
    "_process_cpu_seconds",
    "_wrk_version",
    "append_to_benchmarks",
    "check_response",
    "cpu_breakdown",
    "free_port",
    "gunicorn_server",
    "load_average",
    "machine_info",
    "machine_line",
    "markdown_row",
    "median_result",
    "postgres_backend_cpu",
    "prepare_database",
    "production_env",
    "py_spy_profile",
    "run_load",
    "utc_stamp",
]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/h_api"
SERVER_START_TIMEOUT_S = 30.0
SERVER_STOP_TIMEOUT_S = 15.0
READY_POLL_INTERVAL_S = 0.1


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def prepare_database(kind: str, url: str | None = None, directory: Path | None = None) -> str:
    """A migrated database: a fresh SQLite file in `directory`, or the PostgreSQL at `url` (kept as is)."""
    from app.migrate import upgrade

    if kind == "sqlite":
        directory = directory or Path(tempfile.mkdtemp(prefix="tradeline-bench-"))
        url = f"sqlite:///{directory / 'bench.db'}"
    elif kind == "postgres":
        url = url or DEFAULT_POSTGRES_URL
    else:
        raise ValueError(f"unknown database kind {kind!r}: sqlite or postgres")
    upgrade(url)
    return url


def production_env(database_url: str, instance_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-mode Tradeline process (throwaway secrets, no Redis)."""
    from app.config import generate_secret

    env = {
        key: value
        for key, value in os.environ.items()
        # Start from a clean slate: nothing from the caller's Tradeline settings leaks into the server.
        if not key.startswith(("SHOPIFY_", "TRADELINE_", "DATABASE_", "REDIS_", "APP_", "SECRET_", "TOKEN_"))
    }
    env.update(
        TRADELINE_ENV="production",
        DATABASE_URL=database_url,
        SHOPIFY_API_KEY="bench-client-id",
        SHOPIFY_API_SECRET=generate_secret("SHOPIFY_API_SECRET"),
        APP_URL="https://bench.invalid",
        SECRET_KEY=generate_secret("SECRET_KEY"),
        TOKEN_ENCRYPTION_KEY=generate_secret("TOKEN_ENCRYPTION_KEY"),
        LOCAL_SIGNIN="0",
        INSTANCE_PATH=str(instance_path),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens, and how much CPU its processes have used."""

    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The command name (field 2) may hold spaces; the fields after its closing paren do not.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while we looked
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == self.pid or ppid == self.pid:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far, 0 when it is gone (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_backend_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to this URL's database, by pid.

    Empty when the server is not on this machine. Only meaningful when nothing else uses that database.
    """
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return {pid: _process_cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}").exists()}
    finally:
        engine.dispose()


@contextmanager
def gunicorn_server(
    app_spec: str,
    *,
    env: dict[str, str],
    workers: int,
    ready_path: str,
    worker_class: str = "sync",
    threads: int = 1,
    log_dir: Path | None = None,
) -> Iterator[Server]:
    """Serve `app_spec` (e.g. "bench.app:create_bench_app()") with gunicorn until the block ends."""
    port = free_port()
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="tradeline-bench-logs-"))
    error_log = log_dir / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--chdir",
        str(REPO_ROOT),
        "--error-logfile",
        str(error_log),
        "--log-level",
        "warning",
        app_spec,
    ]
    with error_log.open("ab") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_ready(process, base_url + ready_path, error_log)
        yield Server(base_url=base_url, pid=process.pid)
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, error_log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{error_log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(READY_POLL_INTERVAL_S)
    raise RuntimeError(
        f"gunicorn not ready at {url} after {SERVER_START_TIMEOUT_S}s:\n{error_log.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn master we started (it stops its own workers)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def check_response(url: str, headers: dict[str, str] | None = None) -> bytes:
    """GET `url` once and return the body; raises unless the answer is 200."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return response.read()


def machine_info() -> dict[str, str]:
    """CPU model, cores, RAM, Python and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        release = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
        os_name = f"{release.get('PRETTY_NAME', '').strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "Python": platform.python_version(),
        "OS": os_name,
    }


def machine_line(info: dict[str, str] | None = None) -> str:
    info = info or machine_info()
    return "; ".join(f"{key}: {value}" for key, value in info.items())


TABLE_HEADER = (
    "| route | database | workers | rps | p50 ms | p99 ms | server CPU µs/req | rps vs bare |\n"
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
)


def markdown_row(
    route: str, database: str, workers: str, result: LoadResult, baseline: LoadResult | None = None
) -> str:
    ratio = f"{result.rps / baseline.rps:.2f}" if baseline and baseline.rps else "1.00"
    cpu = f"{result.server_cpu_us:,.0f}" if result.server_cpu_us is not None else "-"
    return (
        f"| {route} | {database} | {workers} | {result.rps:,.0f} | {result.p50_ms:.2f} | "
        f"{result.p99_ms:.2f} | {cpu} | {ratio} |"
    )


def append_to_benchmarks(section: str, path: Path = BENCHMARKS_MD) -> None:
    """Append a section to BENCHMARKS.md (created with its preamble when missing)."""
    if not path.exists():
        path.write_text("# Benchmarks\n\nFigures from `bench/` (see bench/harness.py). Newest last.\n")
    with path.open("a") as out:
        out.write("\n" + section.rstrip() + "\n")


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, to tell a quiet machine from a busy one."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


@contextmanager
def py_spy_profile(pid: int, output: Path, *, rate_hz: int = 250) -> Iterator[None]:
    """Sample the process and its children with py-spy (GIL holders only, i.e. Python on the CPU) while
    the block runs; `output` gets py-spy's collapsed stacks, one line per distinct stack with its count.
    """
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--gil", "--nonblocking"]
    command += ["--rate", str(rate_hz), "--format", "raw", "--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # attaching to every worker takes a moment
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        _, stderr = process.communicate(timeout=SERVER_STOP_TIMEOUT_S)
        if not output.exists():
            raise RuntimeError(f"py-spy wrote no profile: {stderr.decode(errors='replace')[-500:]}")


def cpu_breakdown(
    collapsed: Path, categories: Sequence[tuple[str, str]], *, within: str
) -> list[tuple[str, float]]:
    """Shares of the samples whose stack holds `within`, by the first category whose frame text is on
    the stack (categories are (label, text) pairs, most specific first); the rest is "other"."""
    counts: dict[str, int] = {}
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if within not in stack:
            continue
        count = int(count_text)
        samples += count
        label = next((label for label, text in categories if text in stack), "other")
        counts[label] = counts.get(label, 0) + count
    if not samples:
        return []
    order = [label for label, _ in categories] + ["other"]
    return [(label, counts[label] / samples) for label in order if label in counts]
