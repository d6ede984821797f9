"""Drive a server with ``wrk`` from pre-generated, all-distinct requests.

Each request is used once: the requests are split between wrk's threads in ``setup``, and a
thread that runs out sends ``GET /bench/exhausted`` (a 404, reported as a failure) rather than
repeating one. Every answer is counted per gunicorn worker (the ``X-Worker-Pid`` header the
bench app adds), so the connection split is reported with the rate.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: wrk threads and keep-alive connections.
THREADS, CONNECTIONS = 2, 8

_SCRIPT = r"""
local counter, threads = 0, {}
function setup(thread)
  thread:set("id", counter)
  thread:set("nthreads", __NTHREADS__)
  counter = counter + 1
  threads[#threads + 1] = thread
end
function init(args)
  local fh = io.open(args[1], "r")
  reqs, i, line_no, split, bad = {}, 0, 0, {}, 0
  for line in fh:lines() do
    if line_no % nthreads == id then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
      local headers = {}
      for k = 4, #fields do
        local name, value = string.match(fields[k], "^([^:]+): (.*)$")
        headers[name] = value
      end
      local body = fields[3]
      if body == "-" then body = nil end
      reqs[#reqs + 1] = wrk.format(fields[1], fields[2], headers, body)
    end
    line_no = line_no + 1
  end
  fh:close()
  exhausted = wrk.format("GET", "/bench/exhausted")
end
function request()
  i = i + 1
  if i > #reqs then return exhausted end
  return reqs[i]
end
function response(status, headers, body)
  local pid = headers["X-Worker-Pid"] or "?"
  split[pid] = (split[pid] or 0) + 1
  if status >= 300 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local merged, bad_total = {}, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for pid, n in pairs(t:get("split")) do merged[pid] = (merged[pid] or 0) + n end
  end
  local parts = {}
  for pid, n in pairs(merged) do parts[#parts + 1] = pid .. "=" .. n end
  io.write(string.format("RESULT %d %d %d %d %s\n", summary.requests, summary.duration,
    bad_total, latency:percentile(50), table.concat(parts, ",")))
end
"""


@dataclass(frozen=True)
class Request:
    """One HTTP request: body ``None`` for a GET."""

    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run measured."""

    requests: int
    seconds: float
    failed: int
    median_latency_ms: float
    #: Answers per gunicorn worker pid, most first.
    split: tuple[int, ...]

    @property
    def rate(self) -> float:
        """Answers per second."""
        return self.requests / self.seconds


def available() -> bool:
    """Whether the wrk binary is on PATH (Debian: ``apt-get install wrk``)."""
    return shutil.which("wrk") is not None


def run(port: int, requests: list[Request], seconds: float, *, check: bool = True) -> WrkRun:
    """Send ``requests`` (each once at most) for ``seconds``; raises if any answer failed
    (unless ``check`` is False: a warm-up that may run out)."""
    with tempfile.TemporaryDirectory(prefix="wrk") as tmp:
        folder = Path(tmp)
        script = folder / "requests.lua"
        script.write_text(_SCRIPT.replace("__NTHREADS__", str(THREADS)))
        data = folder / "requests.tsv"
        with data.open("w") as fh:
            for r in requests:
                fields = [r.method, r.path, r.body or "-", *(f"{k}: {v}" for k, v in r.headers)]
                if any("\t" in f or "\n" in f for f in fields):
                    raise ValueError("request fields must not contain tabs or newlines")
                fh.write("\t".join(fields) + "\n")
        duration = f"{max(1, round(seconds))}s"
        command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", duration,
                   "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}", "--",
                   str(data)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    out = done.stdout
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (.*)$", out, re.M)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    total, micros, failed, median = (int(match.group(i)) for i in range(1, 5))
    split = sorted((int(p.split("=")[1]) for p in match.group(5).split(",") if p), reverse=True)
    if failed and check:
        raise SystemExit(f"{failed} of {total} requests failed (or ran out of requests)")
    return WrkRun(total, micros / 1e6, failed, median / 1000, tuple(split))
