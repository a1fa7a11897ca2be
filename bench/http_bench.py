#!/usr/bin/env python3
"""The example HTTP server in its modes (aio = this library's handler, aio-stream = the same with bodies read
through AIO and written by the loop, chunked = Netty's ChunkedNioFile, sendfile = Netty's DefaultFileRegion) and nginx (one worker, sendfile on, aio threads) under wrk on loopback,
alternating modes over repetitions:
  1. requests/s for a page-cached 4 KiB file;
  2. throughput for a page-cached 1 MiB file;
  3. latency of small requests while cold 64 MiB files are being downloaded (the case where blocking reads
     stall the loop), round after round of --cold-files downloads with the page cache dropped before each, for
     the whole measurement. One event loop (one nginx worker), so every connection shares it.
With --http2 the server speaks cleartext HTTP/2 (prior knowledge) and h2load drives it in place of wrk, the same
number of requests in flight (--h2-streams per connection), p99 from its per-request log; the cold downloads are
curl --http2-prior-knowledge. Modes aio, aio-chunked and chunked (Netty's Http2DataChunkedInput over AioChunkedFile or
ChunkedNioFile). Before its first round each mode's bodies are checked: a cached and a cold file by SHA-256.

    bench/http.sh [--reps 3] [--seconds 8] [--cold-files 8] [--modes aio,chunked,sendfile,nginx]
    bench/http.sh --http2 [--modes aio,aio-chunked,chunked]
"""
import hashlib
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import JAR, ROOT, java  # noqa: E402
from nginx import start_nginx  # noqa: E402


def ensure(tool):
    if shutil.which(tool) is None:
        print(f"{tool} is missing: installing Debian's {tool} package (apt-get install -y {tool})", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", tool], check=True)


def to_us(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n * {"us": 1, "ms": 1e3, "s": 1e6}[u]


def wrk(url, seconds, conns, latency=False):
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s"] + (["--latency"] if latency else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = None
    if latency:
        p99 = to_us(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    return rps, p99


def percentile99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def h2load(url, seconds, in_flight, streams, latency=False):
    """h2load on one thread for `seconds`: in_flight streams over in_flight / streams connections. Returns
    requests/s and the p99 in us, from its per-request log."""
    with tempfile.NamedTemporaryFile(prefix="h2load-", suffix=".log") as log:
        cmd = ["h2load", "-t1", f"-c{max(1, in_flight // streams)}", f"-m{streams}", f"-D{seconds}",
               f"--log-file={log.name}", url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        done = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
        assert done and int(done.group(2)) == 0 and int(done.group(3)) == 0, out
        rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
        p99 = None
        if latency:
            p99 = percentile99(int(f[2]) for f in (line.split("\t") for line in open(log.name)) if len(f) >= 3)
        return rps, p99


def check_body(url, path, http2):
    """The body curl gets for url has path's SHA-256."""
    cmd = ["curl", "-sS", "--fail"] + (["--http2-prior-knowledge"] if http2 else []) + [url]
    body = subprocess.run(cmd, capture_output=True, check=True).stdout
    with open(path, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    got = hashlib.sha256(body).hexdigest()
    assert got == want, f"{url}: sha256 {got}, the file's is {want}"


def drop_caches():
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1")
    except OSError:
        print("cannot drop the page cache (not root): the cold scenario is not cold", flush=True)


def start_cold_downloads(base, count, curl_args):
    """Drops the page cache and starts curl on cold0.bin .. cold{count-1}.bin; returns the processes."""
    drop_caches()
    return [subprocess.Popen(["curl", "-s", "--fail"] + curl_args + ["-o", "/dev/null", f"{base}/cold{i}.bin"])
            for i in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--cold-files", type=int, default=8)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--port", type=int, default=18480)
    ap.add_argument("--modes", default="aio,chunked,sendfile,nginx",
                    help="aio-noinline is aio with AioContext.Builder.inlineCachedReads(false); aio-stream is aio with "
                         "AioHttpFileHandler.Builder.pooledSendfile(false); aio-chunked is the chunked "
                         "handler with AioChunkedFile in place of ChunkedNioFile")
    ap.add_argument("--http2", action="store_true", help="cleartext HTTP/2 (prior knowledge) under h2load")
    ap.add_argument("--h2-streams", type=int, default=4, help="--http2: concurrent streams per h2load connection")
    a = ap.parse_args()
    modes = a.modes.split(",")
    if a.http2:
        bad = [m for m in modes if m not in ("aio", "aio-noinline", "aio-chunked", "chunked")]
        assert not bad, f"no HTTP/2 form of {bad}: aio, aio-noinline, aio-chunked, chunked"
        subprocess.run(["h2load", "--version"], check=True, capture_output=True)  # Debian's nghttp2-client
        load = lambda url, seconds, conns, latency=False: h2load(url, seconds, conns, a.h2_streams, latency)  # noqa: E731
    else:
        ensure("wrk")
        load = wrk
    curl_h2 = ["--http2-prior-knowledge"] if a.http2 else []
    ensure("curl")
    jvm = java()
    root = a.dir or tempfile.mkdtemp(prefix="linux-aio-http-", dir="/var/tmp")
    with open(os.path.join(root, "small.bin"), "wb") as f:
        f.write(os.urandom(4096))
    with open(os.path.join(root, "big1m.bin"), "wb") as f:
        f.write(os.urandom(1 << 20))
    for i in range(a.cold_files):
        p = os.path.join(root, f"cold{i}.bin")
        if not os.path.exists(p) or os.path.getsize(p) != 64 << 20:
            with open(p, "wb") as f:
                for _ in range(64):
                    f.write(os.urandom(1 << 20))
    if "nginx" in modes:
        ensure("nginx")
    results = {m: {"rps4k": [], "mibps": [], "p99": [], "base_p99": []} for m in modes}
    for rep in range(a.reps):
        for mode in modes:
            if mode == "nginx":
                tmp = tempfile.mkdtemp(prefix="linux-aio-nginx-")
                server = start_nginx(tmp, root, a.port)
            else:
                server = subprocess.Popen([jvm, "--enable-native-access=ALL-UNNAMED", "-cp", JAR,
                                           "io.linuxaio.benchmarks.HttpBenchServer", "--mode", "aio" if mode == "aio-noinline" else mode,
                                           "--inline-cached-reads", str(mode != "aio-noinline").lower(), "--root", root,
                                           "--port", str(a.port), "--loops", "1"] + (["--http2"] if a.http2 else []),
                                          stdout=subprocess.PIPE, text=True)
            try:
                if mode != "nginx":
                    line = server.stdout.readline()
                    assert "serving" in line, line
                base = f"http://127.0.0.1:{a.port}"
                if rep == 0:
                    drop_caches()  # cold0 is read from the disk, the others from the page cache
                    for name in ("cold0.bin", "small.bin", "big1m.bin"):
                        check_body(f"{base}/{name}", os.path.join(root, name), a.http2)
                load(base + "/big1m.bin", 3, 16)  # warm-up: the JIT (a JVM's first seconds) and the page cache
                load(base + "/small.bin", 3, 16)
                # and the cold path, twice untimed: measured without this, a third of the CPU during the timed cold
                # downloads below went to the JIT compiling the code that reads them (perf, 2 cores), and after one
                # round C2 still compiled that code during the next (-XX:+PrintCompilation)
                for _ in range(2):
                    warm = start_cold_downloads(base, a.cold_files, curl_h2)
                    load(base + "/small.bin", 2, 8)
                    assert [d.wait(timeout=300) for d in warm] == [0] * len(warm), "a warm-up download failed"
                rps4k = load(base + "/small.bin", a.seconds, 16)[0]
                rps = load(base + "/big1m.bin", a.seconds, 16)[0]
                base_p99 = load(base + "/small.bin", 3, 8, latency=True)[1]
                # rounds of cold downloads (the page cache dropped before each) for as long as the latency is
                # measured: one round takes well under a second here, so a single round would leave most of the
                # window without cold reads
                stop = threading.Event()
                rounds = []

                def cold_rounds():
                    while not stop.is_set():
                        downloads = start_cold_downloads(base, a.cold_files, curl_h2)
                        rounds.append([d.wait(timeout=300) for d in downloads])

                cold = threading.Thread(target=cold_rounds)
                cold.start()
                time.sleep(0.2)
                try:
                    p99 = load(base + "/small.bin", a.seconds, 8, latency=True)[1]
                finally:
                    stop.set()
                    cold.join()
                assert all(codes == [0] * a.cold_files for codes in rounds), f"cold downloads ended with {rounds}"
                results[mode]["rps4k"].append(rps4k)
                results[mode]["mibps"].append(rps)
                results[mode]["p99"].append(p99)
                results[mode]["base_p99"].append(base_p99)
                print(f"rep {rep + 1} {mode}: cached 4 KiB {rps4k:.0f} requests/s, 1 MiB {rps:.0f} MiB/s; small p99 {base_p99:.0f} us idle, "
                      f"{p99:.0f} us during {len(rounds)} rounds of {a.cold_files} cold 64 MiB downloads in {a.seconds} s", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print()
    if a.http2:
        print(f"HTTP/2 (h2c, prior knowledge), h2load with {a.h2_streams} streams per connection")
    ref = "nginx" if "nginx" in results else modes[0]
    ref_rps = statistics.median(results[ref]["rps4k"])
    ref_mibps = statistics.median(results[ref]["mibps"])
    ref_p99 = statistics.median(results[ref]["p99"])
    print(f"{'mode':10} {'4 KiB req/s':>12} {'1 MiB MiB/s':>12} {'small p99 idle us':>18} {'small p99 cold us':>18}"
          + f"   ratios to {ref}: req/s, MiB/s, {ref} p99 / this (idle, cold)")
    ref_base = statistics.median(results[ref]["base_p99"])
    for mode, r in results.items():
        rps4k = statistics.median(r["rps4k"])
        mibps = statistics.median(r["mibps"])
        p99 = statistics.median(r["p99"])
        base = statistics.median(r["base_p99"])
        print(f"{mode:10} {rps4k:12.0f} {mibps:12.0f} {base:18.0f} {p99:18.0f}"
              + f"   {rps4k / ref_rps:.2f} {mibps / ref_mibps:.2f} {ref_base / base:.2f} {ref_p99 / p99:.2f}")


if __name__ == "__main__":
    main()
