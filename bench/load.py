"""Load generators for the benchmarks: wrk when installed, else a multi-process Python client."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
LOOPBACK = "127.0.0.1"
# Extra time a load generator may take beyond its duration before it is treated as hung.
LOADGEN_GRACE_S = 30.0


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    generator: str
    # CPU the server used per request: unlike rps, barely moved by other work on the machine.
    server_cpu_us: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def with_server_cpu(self, cpu_seconds: float) -> LoadResult:
        return replace(self, server_cpu_us=cpu_seconds / self.requests * 1e6 if self.requests else None)


def run_load(
    url: str,
    *,
    duration_s: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    generator: str = "auto",
) -> LoadResult:
    """Closed-loop load on `url` for `duration_s`: wrk when installed (or asked for), else Python."""
    if generator == "wrk" or (generator == "auto" and shutil.which("wrk")):
        return _run_wrk(url, duration_s=duration_s, connections=connections, threads=threads, headers=headers)
    return _run_python(url, duration_s=duration_s, connections=connections, headers=headers)


def _run_wrk(
    url: str, *, duration_s: float, connections: int, threads: int, headers: dict[str, str] | None
) -> LoadResult:
    unsupported = set(headers or {}) - {"Authorization"}
    if unsupported:
        raise ValueError(f"the wrk script only sends Authorization, not {sorted(unsupported)}")
    env = {**os.environ, "BENCH_AUTHORIZATION": (headers or {}).get("Authorization", "")}
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={round(duration_s)}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        url,
    ]
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration_s + LOADGEN_GRACE_S, check=True
    )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        requests=figures["requests"],
        errors=errors,
        duration_s=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        generator=_wrk_version(),
    )


def _wrk_version() -> str:
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    lines = (completed.stdout or completed.stderr).splitlines()
    return " ".join(lines[0].split()[:2]) if lines else "wrk"


def _run_python(
    url: str, *, duration_s: float, connections: int, headers: dict[str, str] | None
) -> LoadResult:
    """One process per connection, each a keep-alive http.client loop (reconnecting when told to close)."""
    parsed = urllib.request.urlparse(url)
    host, port = parsed.hostname or LOOPBACK, parsed.port or 80
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    jobs = [(host, port, path, headers or {}, duration_s)] * connections
    started = time.perf_counter()
    # fork: the children need nothing but this function, and start in milliseconds.
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        results = pool.map(_python_connection_loop, jobs)
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for _, batch in results for latency in batch)
    errors = sum(failed for failed, _ in results)
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        # Pool start-up and teardown are not load: the loops ran for duration_s each.
        duration_s=min(elapsed, duration_s),
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        generator=f"python http.client x{connections} processes",
    )


def _python_connection_loop(job: tuple[str, int, str, dict[str, str], float]) -> tuple[int, list[float]]:
    """Requests in a loop on one connection until the deadline: (failures, latencies in seconds)."""
    host, port, path, headers, duration_s = job
    deadline = time.perf_counter() + duration_s
    latencies: list[float] = []
    failed = 0
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while time.perf_counter() < deadline:
        begun = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            continue
        if response.status != 200:
            failed += 1
        latencies.append(time.perf_counter() - begun)
        if response.will_close:
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.close()
    return failed, latencies


def _percentile(sorted_values: Sequence[float], percent: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def median_result(results: Sequence[LoadResult]) -> LoadResult:
    """The median of several rounds, figure by figure (errors are summed: any error spoils the run)."""
    cpu = [r.server_cpu_us for r in results if r.server_cpu_us is not None]
    return LoadResult(
        requests=round(statistics.median(r.requests for r in results)),
        errors=sum(r.errors for r in results),
        duration_s=statistics.median(r.duration_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        generator=results[0].generator,
        server_cpu_us=statistics.median(cpu) if cpu else None,
    )
