"""Load on the web process: 50 people sending photos at once, and what it costs in memory.

    .venv/bin/python benchmarks/bench_web_load.py [--users 50] [--seconds 20] [--requests 1500]
        [--model ../shared/seed/best_model.h5] [--photos ../shared/selfies/dev]
        [--env NAME=VALUE ...]   # e.g. --env SELFIEBOT_MALLOC_ARENAS=0 for glibc's default
        [--memory-breakdown]     # where the server's RSS is, idle, at its peak and settled

Starts `selfiebot web` on 127.0.0.1 (a free port, a temporary data dir, the real seed model),
then runs closed loops (each simulated user sends its next photo as soon as the previous answer
arrives) against, in turn:

- `POST /api/score` (the JSON API: analysis only, nothing recorded);
- the page as a browser with the script sends it (`POST /` with the tips left for later,
  answered with the result page);
- the page as a browser without JavaScript sends it (`POST /`, tips computed in the request,
  then the result page);
- fuzzed uploads to `POST /api/score` (cut, bit-flipped and re-encoded photos of every accepted
  format at sizes up to 4000 px): any answer below 500 counts as handled. This is the load
  under which the process used to settle at 850-1,300 MB of RSS (glibc malloc arenas).

Each phase stops after `--seconds` or `--requests`, whichever comes first. Reported per phase:
requests, failures, throughput, p50 and p95 latency, the server's highest sampled RSS during
the phase, and the CPU per request of the server (every thread) and of this load generator.
The page against the API is given both ways: throughput, which on a small machine also carries
the load generator's share (an HTML page to read back), and the server's CPU per photo under
this load. For the server process: RSS at the peak and settled (after the load,
once idle for a few seconds). `--memory-breakdown` also prints what the RSS consists of
(`/proc/PID/smaps` grouped by mapping: the heap, malloc arenas, thread stacks, other anonymous
memory, libraries) when idle, at the highest sampled RSS and settled, with the thread count.
Photos are the dev selfies, each request a different crop (so the game's duplicate check does
not short-cut it), one in five upscaled to a phone-sized 3024 px side, as real uploads are;
`--requests` of them (at least 200), so a phase's photos are all different ones (the crops of
the 30 dev selfies give ~7% the same perceptual hash all the same). Only loopback is used.
The machine running this is also the load generator: on 2 cores, figures are lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SETTLE_SECONDS = 5.0


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0
    peak_rss: float = 0.0
    server_cpu: float = 0.0
    """CPU seconds the server process spent during the phase (every thread)."""
    client_cpu: float = 0.0
    """CPU seconds this load generator spent during the phase."""

    def cpu_ms(self) -> tuple[float, float]:
        """(server, client) CPU milliseconds per successful request."""
        done = max(1, len(self.latencies))
        return self.server_cpu * 1000 / done, self.client_cpu * 1000 / done

    def line(self) -> str:
        done = len(self.latencies)
        if not done:
            return f"{self.name:<34} no successful request ({self.failures} failures)"
        ordered = sorted(self.latencies)
        p95 = ordered[min(done - 1, round(0.95 * (done - 1)))]
        return (
            f"{self.name:<34} {done:5d} ok {self.failures:4d} failed "
            f"{done / self.seconds:7.1f} req/s  p50 {statistics.median(ordered) * 1000:7.0f} ms"
            f"  p95 {p95 * 1000:7.0f} ms  RSS {self.peak_rss:4.0f} MB"
            f"  CPU/request server {self.cpu_ms()[0]:5.1f} ms, client {self.cpu_ms()[1]:5.1f} ms"
        )


def photo_variants(folder: Path, count: int, seed: int = 7) -> list[bytes]:
    """`count` JPEGs: random crops of the dev selfies, every fifth upscaled to 3024 px."""
    rng = random.Random(seed)
    sources = [Image.open(p).convert("RGB") for p in sorted(folder.glob("*.jpg"))]
    if not sources:
        raise SystemExit(f"no .jpg photos in {folder}")
    out = []
    for index in range(count):
        image = rng.choice(sources)
        w, h = image.size
        left, top = rng.randint(0, w // 8), rng.randint(0, h // 8)
        crop = image.crop((left, top, left + w * 7 // 8, top + h * 7 // 8))
        if rng.random() < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if index % 5 == 0:
            crop = crop.resize((3024, 3024 * crop.height // crop.width), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        crop.save(buffer, "JPEG", quality=88)
        out.append(buffer.getvalue())
    return out


def fuzzed(photos: list[bytes], count: int, seed: int = 11) -> list[bytes]:
    """Hostile uploads: cut, bit-flipped, or re-encoded as PNG/WebP/GIF at odd sizes."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(photos))
        kind = rng.randrange(3)
        if kind == 0:
            data = data[: rng.randint(10, len(data))]
        elif kind == 1:
            for _ in range(rng.randint(1, 50)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            image = Image.open(io.BytesIO(bytes(data))).convert("RGB")
            side = rng.randint(16, 4000)
            image = image.resize((side, max(1, side * rng.randint(25, 400) // 100)))
            buffer = io.BytesIO()
            image.save(buffer, rng.choice(["PNG", "WEBP", "GIF", "JPEG"]))
            data = bytearray(buffer.getvalue())
        out.append(bytes(data))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far, every thread, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


MALLOC_ARENA_BYTES = 64 * 1024 * 1024
"""glibc's HEAP_MAX_SIZE on 64-bit: a secondary malloc arena's heaps are mappings aligned to it."""
GUARD_MAX_BYTES = 64 * 1024


def memory_breakdown(pid: int) -> tuple[dict[str, float], int]:
    """(MB of RSS by kind of mapping, thread count) of a process, from /proc/PID/smaps.

    Anonymous mappings carry no name, so they are told apart by shape: a thread stack sits right
    above its guard page (a small `---p` mapping), a secondary malloc arena's heap starts on a
    64 MB boundary, the rest are large blocks mmapped on their own (photo buffers, arrays, ONNX
    Runtime's buffers) and Python's object arenas."""
    mappings: list[tuple[int, int, str, str]] = []
    rss_kb: list[int] = []
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            mappings.append((start, end, fields[1], fields[5] if len(fields) > 5 else ""))
            rss_kb.append(0)
        elif fields and fields[0] == "Rss:":
            rss_kb[-1] = int(fields[1])
    groups: dict[str, float] = {}
    previous = (0, 0, "", "")
    for mapping, kb in zip(mappings, rss_kb, strict=True):
        kind = _mapping_kind(mapping, previous)
        groups[kind] = groups.get(kind, 0.0) + kb / 1024
        previous = mapping
    threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
    return groups, threads


def _mapping_kind(mapping: tuple[int, int, str, str], previous: tuple[int, int, str, str]) -> str:
    start, end, _, path = mapping
    if path.startswith("/"):
        for marker, kind in (
            ("onnxruntime", "library: onnxruntime"),
            ("numpy", "library: numpy"),
            ("PIL", "library: pillow"),
            ("pillow", "library: pillow"),
            ("libpython", "library: python"),
        ):
            if marker in path:
                return kind
        return "library: other files"
    if path:
        return path
    p_start, p_end, p_perms, p_path = previous
    guard = p_perms.startswith("---") and not p_path and p_end - p_start <= GUARD_MAX_BYTES
    if guard and p_end == start:
        return "anon: thread stacks"
    if start % MALLOC_ARENA_BYTES == 0 and end - start <= MALLOC_ARENA_BYTES:
        return "anon: malloc arenas"
    return "anon: other (mmapped blocks, Python arenas)"


def breakdown_lines(label: str, rss: float, snapshot: tuple[dict[str, float], int]) -> list[str]:
    groups, threads = snapshot
    lines = [f"{label}: RSS {rss:.0f} MB, {threads} threads"]
    for kind, mb in sorted(groups.items(), key=lambda item: -item[1]):
        if mb >= 0.5:
            lines.append(f"  {kind:<46} {mb:6.1f} MB")
    return lines


def start_server(args: argparse.Namespace, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SELFIEBOT_")},
        "SELFIEBOT_DATA_DIR": str(data_dir),
        "SELFIEBOT_CACHE_DIR": str(args.cache_dir),
        "SELFIEBOT_POPULARITY_MODEL": str(args.model),
        "SELFIEBOT_RATE_LIMIT_PHOTOS": "1000",
        "SELFIEBOT_RATE_LIMIT_WINDOW_MINUTES": "1",
        "SELFIEBOT_DUPLICATE_HAMMING_DISTANCE": "0",
        "SELFIEBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    for item in args.env:
        name, _, value = item.partition("=")
        env[name] = value
    command = [sys.executable, "-c", "from bot.cli import main; main()", "web"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, cwd=data_dir)


async def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"selfiebot web exited with {server.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("selfiebot web did not become ready")


async def run_phase(
    phase: Phase, base: str, photos: list[bytes], args: argparse.Namespace, kind: str
) -> Phase:
    budget = [args.requests]
    deadline = time.monotonic() + args.seconds
    counter = iter(range(10**9))

    async def one_user(number: int) -> None:
        headers = {"Origin": base, "Referer": f"{base}/"}
        async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                index = next(counter)
                photo = photos[index % len(photos)]
                started = time.monotonic()
                try:
                    ok = await send(client, kind, photo, number, index)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    phase.latencies.append(time.monotonic() - started)
                else:
                    phase.failures += 1

    started = time.monotonic()
    await asyncio.gather(*(one_user(n) for n in range(args.users)))
    phase.seconds = time.monotonic() - started
    return phase


async def send(client: httpx.AsyncClient, kind: str, photo: bytes, user: int, index: int) -> bool:
    files = {"photo": (f"p{index}.jpg", photo, "image/jpeg")}
    if kind == "api":
        response = await client.post("/api/score", files=files)
        return response.status_code == 200
    if kind == "fuzz":
        response = await client.post("/api/score", files=files)
        return response.status_code < 500
    headers = {"X-Selfiebot-Tips": "later"} if kind == "script" else {}
    data = {"nickname": f"load{user}", "key": f"bench-{kind}-{index:08d}-0123456789"}
    response = await client.post(
        "/", data=data, files=files, headers=headers, follow_redirects=True
    )
    return response.status_code == 200


async def main(args: argparse.Namespace) -> None:
    # One variant per request where possible: a page photo sent again is a duplicate, which
    # the game answers without ranking it (the first 200 are the same whatever the count).
    photos = photo_variants(args.photos, max(200, args.requests))
    hostile = [] if "fuzz" in args.skip else fuzzed(photos[:200], 300)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="selfiebot-load-") as tmp:
        server = start_server(args, Path(tmp), port)
        peak_seen = [0.0]
        current: list[Phase] = []
        reports: list[str] = []
        try:
            await wait_ready(base, server)
            idle_rss, _ = rss_mb(server.pid)
            if args.memory_breakdown:
                reports += breakdown_lines("idle", idle_rss, memory_breakdown(server.pid))
            at_peak: list[str] = []

            async def sample() -> None:
                while True:
                    rss = rss_mb(server.pid)[0]
                    if current:
                        current[-1].peak_rss = max(current[-1].peak_rss, rss)
                    if rss > peak_seen[0]:
                        peak_seen[0] = rss
                        if args.memory_breakdown:
                            label = f"highest sampled ({current[-1].name if current else '-'})"
                            at_peak[:] = breakdown_lines(label, rss, memory_breakdown(server.pid))
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample())
            phases = []
            for name, kind in (
                ("POST /api/score", "api"),
                ("page, script (tips later)", "script"),
                ("page, no script (tips inline)", "plain"),
                ("fuzzed uploads to /api/score", "fuzz"),
            ):
                if kind in args.skip:
                    continue
                inputs = hostile if kind == "fuzz" else photos
                current.append(Phase(name))
                server_before, client_before = cpu_seconds(server.pid), time.process_time()
                phases.append(await run_phase(current[-1], base, inputs, args, kind))
                current[-1].server_cpu = cpu_seconds(server.pid) - server_before
                current[-1].client_cpu = time.process_time() - client_before
            sampler.cancel()
            await asyncio.sleep(SETTLE_SECONDS)
            settled, peak = rss_mb(server.pid)
            if args.memory_breakdown:
                reports += at_peak + breakdown_lines(
                    "settled", settled, memory_breakdown(server.pid)
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"{args.users} users, closed loop, at most {args.seconds:g} s / {args.requests} each")
    print("extra environment:", " ".join(args.env) or "(none)")
    for phase in phases:
        print(phase.line())
    api = next((p for p in phases if p.name.startswith("POST /api")), None)
    for page in (p for p in phases if p.name.startswith("page") and p.latencies):
        if api and api.latencies:
            ratio = (len(api.latencies) / api.seconds) / (len(page.latencies) / page.seconds)
            cpu = page.cpu_ms()[0] / api.cpu_ms()[0]
            print(
                f"{page.name} vs the API: throughput {ratio:.2f}x lower, "
                f"server CPU per photo {cpu:.2f}x"
            )
    print(
        f"RSS: idle {idle_rss:.0f} MB, peak {max(peak, peak_seen[0]):.0f} MB, "
        f"settled {settled:.0f} MB"
    )
    for line in reports:
        print(line)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--model", type=Path, default=SHARED / "seed" / "best_model.h5")
    parser.add_argument("--photos", type=Path, default=SHARED / "selfies" / "dev")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "selfiebot-bench-cache"
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--memory-breakdown",
        action="store_true",
        help="print what the server's RSS consists of: idle, at its peak, settled",
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=["api", "script", "plain", "fuzz"]
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
