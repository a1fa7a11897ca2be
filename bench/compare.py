#!/usr/bin/env python3
"""Runs fio (libaio) and the linux-aio load generator on the same file with the same parameters,
alternating A B A B over several repetitions, and prints the median of each engine and its ratio to fio.

    bench/compare.sh [--file /var/tmp/linux-aio-bench.bin] [--size 1g] [--runtime 10] [--reps 3] [--only NAME]
                     [--engines aio-netty,aio-netty-uring]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "aio-benchmarks", "target", "aio-benchmarks.jar")

# the load generator's engines run by default, and those run only when --engines names them
# (aio-netty-uring: the library on a Netty io_uring loop, where aio-netty is on an epoll loop)
ENGINES = ["aio", "aio-netty", "afc", "filechannel"]
OPTIONAL_ENGINES = ["aio-netty-uring"]

# name, fio arguments, loadgen arguments, engines besides fio, whether the page cache must be warm
WORKLOADS = [
    ("randread-4k-direct-qd1", "--rw=randread --bs=4k --iodepth=1 --direct=1",
     "--rw randread --bs 4k --iodepth 1 --direct", ENGINES, False),
    ("randread-4k-direct-qd8", "--rw=randread --bs=4k --iodepth=8 --direct=1",
     "--rw randread --bs 4k --iodepth 8 --direct", ENGINES, False),
    ("randread-4k-direct-qd32", "--rw=randread --bs=4k --iodepth=32 --direct=1",
     "--rw randread --bs 4k --iodepth 32 --direct", ENGINES, False),
    ("randread-4k-direct-qd128", "--rw=randread --bs=4k --iodepth=128 --direct=1",
     "--rw randread --bs 4k --iodepth 128 --direct", ENGINES, False),
    ("read-1m-direct-qd8", "--rw=read --bs=1m --iodepth=8 --direct=1",
     "--rw read --bs 1m --iodepth 8 --direct", ENGINES, False),
    ("randwrite-4k-direct-qd32", "--rw=randwrite --bs=4k --iodepth=32 --direct=1",
     "--rw randwrite --bs 4k --iodepth 32 --direct", ENGINES, False),
    ("randread-4k-cached-qd32", "--rw=randread --bs=4k --iodepth=32 --direct=0 --iodepth_batch_submit=16 --invalidate=0",
     "--rw randread --bs 4k --iodepth 32", ENGINES, True),
    # the same 32 reads in flight over two jobs: two owners (contexts, or loops) copy on both cores, as
    # FileChannel's 32 threads and AsynchronousFileChannel's pool of 2 do in the row above
    ("randread-4k-cached-qd32-2jobs", "--rw=randread --bs=4k --iodepth=16 --numjobs=2 --group_reporting --direct=0 "
     "--iodepth_batch_submit=16 --invalidate=0",
     "--rw randread --bs 4k --iodepth 16 --numjobs 2", ENGINES, True),
]


def java():
    home = os.environ.get("JAVA_HOME")
    candidates = [os.path.join(home, "bin", "java")] if home else []
    candidates += ["/usr/lib/jvm/temurin-25-jdk-amd64/bin/java", shutil.which("java") or "java"]
    for c in candidates:
        try:
            out = subprocess.run([c, "-XshowSettings:properties", "-version"], capture_output=True, text=True).stderr
            for line in out.splitlines():
                if "java.specification.version" in line and int(line.split("=")[1].strip()) >= 22:
                    return c
        except (OSError, ValueError):
            pass
    sys.exit("a JDK 22+ is needed: set JAVA_HOME")


def run_fio(path, size, runtime, args):
    cmd = ["fio", "--name=bench", f"--filename={path}", f"--size={size}", f"--runtime={runtime}", "--time_based",
           "--ramp_time=1", "--ioengine=libaio", "--output-format=json", "--randrepeat=0"] + args.split()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    job = json.loads(out[out.index("{"):])["jobs"][0]
    side = job["read"] if job["read"]["io_bytes"] > 0 else job["write"]
    ios = side["total_ios"]
    secs = side["runtime"] / 1000.0
    # with --group_reporting fio gives the jobs' mean CPU share: times the jobs, for the CPU of all of them
    jobs = int(re.search(r"--numjobs=(\d+)", args).group(1)) if "--numjobs=" in args else 1
    cpu = (job["usr_cpu"] + job["sys_cpu"]) / 100.0 * secs * jobs
    return {"iops": side["iops"], "p99_us": side["clat_ns"]["percentile"].get("99.000000", 0) / 1000.0,
            "cpu_us_per_io": cpu / max(1, ios) * 1e6, "cmd": " ".join(cmd)}


def run_loadgen(jvm, path, size, runtime, engine, args):
    cmd = [jvm, "--enable-native-access=ALL-UNNAMED", "-jar", JAR, "--engine", engine, "--filename", path,
           "--size", size, "--runtime", str(runtime), "--json"] + args.split()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:  # say why (an engine unavailable here, say), not only that it failed
        sys.exit(f"{engine} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    out = proc.stdout
    r = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    return {"iops": r["iops"], "p99_us": r["p99_us"], "cpu_us_per_io": r["cpu_user_us_per_io"] + r["cpu_sys_us_per_io"],
            "cmd": " ".join(cmd)}


def drop_caches(path):
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1")
    except OSError:
        pass


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", default="/var/tmp/linux-aio-bench.bin")
    ap.add_argument("--size", default="1g")
    ap.add_argument("--runtime", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="run only the workloads whose name matches this regular expression "
                                   "(a plain substring, or anchored: 'direct-qd1$')")
    ap.add_argument("--engines", help="comma-separated, from " + ",".join(ENGINES + OPTIONAL_ENGINES)
                                      + " (default: " + ",".join(ENGINES) + ")")
    a = ap.parse_args()
    unknown = set(a.engines.split(",")) - set(ENGINES + OPTIONAL_ENGINES) if a.engines else set()
    if unknown:
        ap.error("unknown engine(s) " + ",".join(sorted(unknown)) + ": choose from " + ",".join(ENGINES + OPTIONAL_ENGINES))

    if shutil.which("fio") is None:
        print("fio is missing: installing Debian's fio package (apt-get install -y fio)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "fio"], check=True)
    jvm = java()
    if not os.path.exists(JAR):
        print("building the load generator (mvn -q -pl aio-benchmarks -am package -DskipTests)", flush=True)
        env = dict(os.environ, JAVA_HOME=os.path.dirname(os.path.dirname(jvm)))
        subprocess.run(["mvn", "-q", "-B", "-ntp", "-pl", "aio-benchmarks", "-am", "package", "-DskipTests"],
                       cwd=ROOT, env=env, check=True)
    # a file full of data (not holes), as both tools will read it
    subprocess.run([jvm, "--enable-native-access=ALL-UNNAMED", "-jar", JAR, "--engine", "filechannel", "--filename",
                    a.file, "--size", a.size, "--runtime", "0.1", "--ramp", "0", "--ramp-ios", "0", "--iodepth", "1"],
                   check=True, capture_output=True)

    rows = []
    for name, fio_args, lg_args, engines, cached in WORKLOADS:
        if a.only and not re.search(a.only, name):
            continue
        if a.engines:
            engines = [e for e in engines + OPTIONAL_ENGINES if e in a.engines.split(",")]
        results = {"fio": []}
        for e in engines:
            results[e] = []
        for rep in range(a.reps):
            for engine in ["fio"] + engines:  # A B C ... alternating within each repetition
                warm(a.file) if cached else drop_caches(a.file)
                r = run_fio(a.file, a.size, a.runtime, fio_args) if engine == "fio" else \
                    run_loadgen(jvm, a.file, a.size, a.runtime, engine, lg_args)
                results[engine].append(r)
                print(f"{name} rep {rep + 1} {engine}: {r['iops']:.0f} IOPS, p99 {r['p99_us']:.0f} us, "
                      f"cpu {r['cpu_us_per_io']:.2f} us/io", flush=True)
        base = statistics.median(r["iops"] for r in results["fio"])
        base_cpu = statistics.median(r["cpu_us_per_io"] for r in results["fio"])
        for engine, rs in results.items():
            iops = statistics.median(r["iops"] for r in rs)
            cpu = statistics.median(r["cpu_us_per_io"] for r in rs)
            p99 = statistics.median(r["p99_us"] for r in rs)
            rows.append((name, engine, iops, iops / base, p99, cpu, cpu / base_cpu if base_cpu else 0))
    print()
    print(f"{'workload':28} {'engine':16} {'IOPS':>10} {'vs fio':>7} {'p99 us':>8} {'cpu us/io':>10} {'cpu vs fio':>10}")
    for name, engine, iops, ratio, p99, cpu, cpu_ratio in rows:
        print(f"{name:28} {engine:16} {iops:10.0f} {ratio:7.2f} {p99:8.0f} {cpu:10.2f} {cpu_ratio:10.2f}")


if __name__ == "__main__":
    main()
