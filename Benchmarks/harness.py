#!/usr/bin/env python3
"""make bench: the delegate against the baseline a user would write, in one run.

Measures signing, end-to-end throughput (spool and socket, canned nginx and moto_server,
versus a boto3 worker), latency (low load and 80% of peak), footprint (idle RSS and CPU,
backlog peak RSS, start to READY=1), credential requests per 10,000 tasks, `get` per process
against the AWS CLI and a one-shot boto3 script, read cache hits (AWS calls counted at the
endpoint), the CPU cost of sealed results, the SQS intake against a boto3 SQS worker (tasks/s
and SQS requests per task) and LoadCredential= requests on the credentials socket. Writes raw
JSON to .bench/ and the results section of BENCHMARKS.md. BENCH_ONLY=a,b runs some sections only
(signing, throughput, instructions, moto, get, latency, footprint, credentials, cache, sealing,
sqs, credsock) and leaves BENCHMARKS.md alone; the sections among them that render on their own go to
.bench/BENCHMARKS-partial.md. BENCH_DAEMON=PATH runs another daemon binary (for A/B runs); its
report goes to .bench/BENCHMARKS-other-binary.md, not BENCHMARKS.md.

BENCH_BIN_DIR=DIR does the same with the binaries of another build; a run on a tree with changes
since its commit is stamped `<commit>-dirty`.

BENCH_QUICK=1 makes every measurement small (for iterating on the harness; its numbers are
not the ones to publish). Timings are reported, never asserted.
"""

import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import callgrind  # noqa: E402
import servers  # noqa: E402
from delegate import (  # noqa: E402
    CLK_TCK,
    Delegate,
    Inotify,
    SocketClient,
    cpu_times,
    is_write,
    named_connector,
    named_get_bytes,
    pipelined,
    task,
    task_bytes,
)

QUICK = os.environ.get("BENCH_QUICK") == "1"
BIN_DIR = os.environ.get("BENCH_BIN_DIR", os.path.join(ROOT, ".build-release", "release"))
DAEMON = os.environ.get("BENCH_DAEMON") or os.path.join(BIN_DIR, "secrets-delegate")
# The full binary the front one becomes (for the `get` diagnostics), where the front binary looks:
# PREFIX/libexec/secrets-delegate/ for a front binary in PREFIX/bin, else next to it.
def full_binary_of(front: str) -> str:
    directory = os.path.dirname(front)
    if directory.endswith("/bin"):
        installed = os.path.join(os.path.dirname(directory), "libexec", "secrets-delegate", "secrets-delegated")
        if os.access(installed, os.X_OK):
            return installed
    return os.path.join(directory, "secrets-delegated")


FULL_BINARY = full_binary_of(DAEMON)
SIGBENCH = os.path.join(BIN_DIR, "SigV4Bench")
OUT = os.path.join(ROOT, ".bench")
REPS = 2 if QUICK else 3
BOTO_THREADS = int(os.environ.get("BENCH_BOTO_THREADS", "16"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))

# Task counts per run: enough for a few seconds each at the expected rates.
N = {
    ("delegate", "nginx"): 2000 if QUICK else 20000,
    ("spool", "nginx"): 1000 if QUICK else 5000,  # the spool is fsync-bound: fewer tasks, same seconds
    ("spool", "moto"): 300 if QUICK else 1500,
    ("boto3", "nginx"): 500 if QUICK else 2000,
    ("delegate", "moto"): 300 if QUICK else 1500,
    ("boto3", "moto"): 300 if QUICK else 1000,
}
IDLE_SECONDS = 10 if QUICK else 60
BACKLOG = 10000 if QUICK else 100000
CREDENTIAL_TASKS = 2000 if QUICK else 10000
STARTS = 5 if QUICK else 10
LATENCY_SAMPLES = 100 if QUICK else 500
LOADED_SECONDS = 2 if QUICK else 5
LOAD_FRACTIONS = [0.5, 0.8]
LATENCY_KEYS = ["spool low", "socket low"] + [
    f"{intake} {int(f * 100)}%" for f in LOAD_FRACTIONS for intake in ("spool", "socket")
]
NOFSYNC_LATENCY = "spool low, fsync off (eatmydata; diagnostic)"
GET_CALLS = 50 if QUICK else 200  # per tool, one process each
CACHE_READS = 1000 if QUICK else 10000  # per run, one at a time
SEAL_TASKS = 2000 if QUICK else 20000  # per run
CREDENTIAL_REQUESTS = 500 if QUICK else 2000  # per run, one at a time
SQS_TASKS = 100 if QUICK else 300  # per run, delegate and boto3 worker alike (moto's receive cost grows with queue depth)
SQS_WAIT_SECONDS = 2  # long polling, delegate and boto3 worker alike; matters only once the queue is empty
BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-access-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}

results = {}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def spread(values):
    values = sorted(values)
    return {
        "median": statistics.median(values),
        "min": values[0],
        "max": values[-1],
        "runs": values,
    }


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# 1. Signing


def bench_signing():
    log("signing: SigV4Bench (Swift) and botocore SigV4Auth")
    iterations = 20000 if QUICK else 200000
    swift = subprocess.run([SIGBENCH, str(iterations), str(REPS + 2)], capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in swift.stdout.splitlines() if line.startswith("{")]
    boto_iterations = 2000 if QUICK else 10000
    boto = subprocess.run(
        [sys.executable, os.path.join(HERE, "botocore_sign.py"), str(boto_iterations), str(REPS + 2)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows += [json.loads(line) for line in boto.stdout.splitlines() if line.startswith("{")]
    out = {}
    for key in ["cached", "cold", "SigV4Auth"]:
        out[key] = spread([r["nsPerOp"] for r in rows if r["mode"] == key])
    out["iterations"] = {"swift": iterations, "botocore": boto_iterations}
    results["signing"] = out


# 2. Throughput


_perf_counts_instructions = None


def perf_counts_instructions() -> bool:
    """Whether `perf stat -e instructions` works here (hardware counters: often not in a VM)."""
    global _perf_counts_instructions
    if _perf_counts_instructions is None:
        _perf_counts_instructions = False
        if shutil.which("perf"):
            probe = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"],
                                   capture_output=True, text=True)
            field = probe.stderr.strip().splitlines()[-1].split(",")[0] if probe.stderr.strip() else ""
            _perf_counts_instructions = probe.returncode == 0 and field.isdigit()
    return _perf_counts_instructions


def daemon_cpu(d: Delegate, run, *args) -> dict:
    """run(d, *args), adding the daemon's CPU (utime+stime from /proc/PID/stat) per task in µs and,
    where the machine has hardware counters, its user-space instructions per task (`perf stat`),
    a figure the machine's noise does not move."""
    counter = None
    if perf_counts_instructions():
        counter = subprocess.Popen(["perf", "stat", "-x,", "-e", "instructions:u", "-p", str(d.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.2)  # perf attaches before the run starts
    user0, system0 = d.cpu_times()
    out = run(d, *args)
    user1, system1 = d.cpu_times()
    out["cpuUsPerTask"] = (user1 + system1 - user0 - system0) / CLK_TCK * 1e6 / out["tasks"]
    out["systemCpuUsPerTask"] = (system1 - system0) / CLK_TCK * 1e6 / out["tasks"]
    out["instructionsPerTask"] = None
    if counter is not None:
        counter.send_signal(signal.SIGINT)
        _, err = counter.communicate(timeout=30)
        fields = [line.split(",") for line in err.splitlines() if "instructions" in line]
        if fields and fields[0][0].isdigit():
            out["instructionsPerTask"] = int(fields[0][0]) / out["tasks"]
    return out


def spool_run(d: Delegate, n: int, mix: bool, tag: str) -> dict:
    tmp = os.path.join(d.spool, "tmp")
    new = os.path.join(d.spool, "new")
    names = []
    for i in range(n):
        task_id = f"{tag}-{i}"
        with open(os.path.join(tmp, task_id + ".json"), "wb") as f:
            f.write(task_bytes(task_id, is_write(i, mix)))
        names.append(task_id + ".json")
    start = time.perf_counter()
    for name in names:
        os.rename(os.path.join(tmp, name), os.path.join(new, name))
    deadline = start + 600
    # Done when every result is durable: the delegate deletes a claimed task file only after the
    # fsync of done/ that makes its result's name durable, so the clock stops when every result
    # is in done/ and no task file is left (in new/ or claimed).
    while d.count_done() < n or d.count_spooled() > 0:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"spool run {tag}: only {d.count_done()} of {n} results, {d.count_spooled()} tasks left")
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    statuses = require_success(d.collect_done(), n, f"spool run {tag}")
    return {"tasks": n, "seconds": seconds, "rate": n / seconds, "statuses": statuses}


def socket_run(d: Delegate, n: int, mix: bool, tag: str, connections: int) -> dict:
    payloads = [task_bytes(f"{tag}-{i}", is_write(i, mix)) for i in range(n)]
    out = pipelined(d.socket_path, payloads, connections)
    require_success(out["statuses"], n, f"socket run {tag}")
    out.update({"tasks": n, "rate": n / out["seconds"]})
    return out


def require_success(statuses: dict, n: int, what: str) -> dict:
    """`statuses` if all n tasks succeeded; else the run fails: a task answered with a refusal
    (not selected, not authorized) is cheaper than one served, and would count as a faster one in
    every rate, CPU and instruction figure made of the run."""
    if statuses.get("succeeded", 0) != n or any(count for key, count in statuses.items() if key != "succeeded"):
        raise RuntimeError(f"{what}: not every task succeeded ({statuses})")
    return statuses


def boto3_run(endpoint: str, n: int, mix: bool, tag: str, workdir: str, durable: bool = False) -> dict:
    tasks = os.path.join(workdir, "boto3-tasks")
    done = os.path.join(workdir, "boto3-done")
    for directory in (tasks, done):
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
    for i in range(n):
        task_id = f"{tag}-{i}"
        with open(os.path.join(tasks, task_id + ".json"), "wb") as f:
            f.write(task_bytes(task_id, is_write(i, mix)))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(
        [sys.executable, os.path.join(HERE, "boto3_worker.py"), tasks, done, endpoint, str(BOTO_THREADS)]
        + (["durable"] if durable else []),
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    out["rate"] = out["tasks"] / out["seconds"]
    # The whole worker process (interpreter start and imports included), so not quite like for like.
    cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    out["cpuUsPerTask"] = cpu * 1e6 / out["tasks"]
    out["systemCpuUsPerTask"] = (after.ru_stime - usage.ru_stime) * 1e6 / out["tasks"]
    out["statuses"] = {"succeeded": out["succeeded"], "other": out["tasks"] - out["succeeded"]}
    # The baseline of every ratio: its failures (slow, with retries) would flatter the delegate.
    if out["succeeded"] != n:
        raise RuntimeError(f"boto3 run {tag}: {out['succeeded']} of {n} tasks succeeded")
    return out


NOFSYNC = "spool get, fsync off (eatmydata; diagnostic)"
TMPFS = "spool get, spool on tmpfs (/dev/shm; diagnostic)"
JOURNALED = "spool get, spool on ext4 with a journal (loop device; diagnostic)"

SCENARIOS = [
    # (name, intake, mix, connections)
    ("spool get", "spool", False, 0),
    ("spool 90/10", "spool", True, 0),
    ("socket get, 1 conn", "socket", False, 1),
    ("socket get, 4 conns", "socket", False, 4),
    ("socket 90/10, 4 conns", "socket", True, 4),
    ("boto3 worker get", "boto3", False, 0),
    ("boto3 worker 90/10", "boto3", True, 0),
    # The spool's results are durable; this worker's are too (fsync of each file and of its
    # directory): the like-for-like figure beside the goal's baseline.
    ("boto3 worker get, durable results", "boto3-durable", False, 0),
]


INSTRUCTION_TASKS = {"socket get, 1 conn": 200 if QUICK else 2_000, "spool get": 50 if QUICK else 500}


def bench_instructions(endpoint: str, workdir: str):
    """Instructions per task under callgrind (`callgrind.py`): socket and spool getSecretValue."""
    out = results["instructions"] = {}
    if not callgrind.available():
        out["unavailable"] = "valgrind or objcopy is not installed"
        return
    runs = {
        "socket get, 1 conn": (
            lambda d: pipelined(d.socket_path, [task_bytes(f"warm-{i}", False) for i in range(50)], 1),
            lambda d, n: socket_run(d, n, False, "counted", 1),
        ),
        "spool get": (
            lambda d: spool_run(d, 20, False, "warm"),
            lambda d, n: spool_run(d, n, False, "counted"),
        ),
    }
    for name, (warm_up, run) in runs.items():
        tasks = INSTRUCTION_TASKS[name]
        short = "ir-" + name.split()[0]
        # REPS runs, each a delegate of its own: the count moves a little between runs (which
        # spool tasks the rescan offers rather than inotify, timers), so a difference between
        # commits smaller than the runs' range is no difference. The median run is reported.
        counted = []
        for rep in range(REPS):
            log(f"instructions: {name}, {tasks} tasks under callgrind (run {rep + 1} of {REPS})")
            counted.append(callgrind.count(
                FULL_BINARY, endpoint, workdir, f"{short}-{rep}", tasks, lambda d: run(d, tasks), warm_up))
            log(f"  {counted[-1]['instructionsPerTask']:,.0f} instructions per task")
        counted.sort(key=lambda r: r["instructionsPerTask"])
        median = dict(counted[(len(counted) - 1) // 2])  # of two (BENCH_QUICK), the lower
        median["perRun"] = [r["instructionsPerTask"] for r in counted]
        median["statuses"] = [r["statuses"] for r in counted]
        out[name] = median
        log(f"  median {median['instructionsPerTask']:,.0f}, range {median['perRun'][0]:,.0f}-{median['perRun'][-1]:,.0f}")


def spool_diagnostic(out: dict, label: str, endpoint: str, workdir: str, name: str, wrapper=()):
    """Diagnostic spool runs (plain gets, REPS times) of a delegate of their own, into out[label]."""
    d = Delegate(DAEMON, workdir, name, endpoint, concurrency=CONCURRENCY, wrapper=list(wrapper))
    d.start()
    try:
        for rep in range(REPS):
            r = daemon_cpu(d, spool_run, N[("spool", "nginx")], False, f"{name}-{rep}")
            log(f"  nginx rep {rep}: {label}: {r['rate']:.0f} tasks/s, {r['cpuUsPerTask']:.0f} µs CPU/task {r['statuses']}")
            out.setdefault(label, []).append(r)
    finally:
        d.stop()


def journaled_spool_diagnostic(out: dict, endpoint: str, workdir: str):
    """The spool run on a fresh ext4 made as Debian makes it (with a journal), loop-mounted.

    This machine's root file system is ext4 *without* a journal, where every fsync is a device
    flush of its own and the inode allocator scans the inodes deleted in the last minutes, so the
    spool rows above depend on what ran before them. Hosts run ext4 with a journal (or XFS), which
    merges the fsyncs of results finishing together into one commit. Needs root and a loop device;
    skipped (and logged) otherwise.
    """
    image = os.path.join(workdir, "journaled-ext4.img")
    mountpoint = tempfile.mkdtemp(prefix="journaled-", dir=workdir)
    mounted = False
    try:
        with open(image, "wb") as f:
            f.truncate(2 << 30)
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", image, mountpoint], check=True, capture_output=True)
        mounted = True
        journal = "has_journal" in subprocess.run(["dumpe2fs", "-h", image], capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", b"") or b""
        log(f"  journaled ext4 diagnostic skipped: {e} {detail.decode(errors='replace').strip()}")
        journal = None
    try:
        if mounted and journal:
            spool_diagnostic(out, JOURNALED, endpoint, mountpoint, "tp-nginx-journaled")
        elif mounted and journal is False:
            log("  journaled ext4 diagnostic skipped: mkfs.ext4 made no journal")
    finally:
        if mounted and subprocess.run(["umount", mountpoint], capture_output=True).returncode != 0:
            # Busy (a daemon that did not stop?): detach it lazily, and leave the files alone.
            lazy = subprocess.run(["umount", "-l", mountpoint], capture_output=True).returncode == 0
            log(f"  journaled ext4: umount {mountpoint} failed; {'detached lazily' if lazy else 'still mounted'}; "
                f"{image} is left")
        else:
            shutil.rmtree(mountpoint, ignore_errors=True)
            if os.path.exists(image):
                os.unlink(image)


def bench_throughput(endpoint_name: str, endpoint: str, workdir: str):
    log(f"throughput against {endpoint_name} ({endpoint})")
    d = Delegate(DAEMON, workdir, f"tp-{endpoint_name}", endpoint, concurrency=CONCURRENCY)
    d.start()
    # Warm-up: connections, credential cache, code paths.
    pipelined(d.socket_path, [task_bytes(f"warm-{i}", False) for i in range(200)], 1)
    out = {}
    try:
        for rep in range(REPS):
            # Interleave the scenarios so drift (other load on the machine) hits all alike.
            for name, intake, mix, connections in SCENARIOS:
                tag = f"{endpoint_name}-{rep}-{name.replace(' ', '').replace(',', '').replace('/', '')}"
                if intake in ("boto3", "boto3-durable"):
                    r = boto3_run(endpoint, N[("boto3", endpoint_name)], mix, tag, workdir, durable=intake == "boto3-durable")
                elif intake == "spool":
                    r = daemon_cpu(d, spool_run, N[("spool", endpoint_name)], mix, tag)
                else:
                    r = daemon_cpu(d, socket_run, N[("delegate", endpoint_name)], mix, tag, connections)
                log(f"  {endpoint_name} rep {rep}: {name}: {r['rate']:.0f} tasks/s, "
                    f"{r['cpuUsPerTask']:.0f} µs CPU/task {r['statuses']}")
                out.setdefault(name, []).append(r)
    finally:
        t = time.perf_counter()
        d.stop()
        out["stop"] = [{"seconds": time.perf_counter() - t, "timedOut": d.stop_timed_out, "rate": 0, "statuses": {}}]
    if endpoint_name == "nginx":
        eatmydata = shutil.which("eatmydata")
        if eatmydata:
            # The same spool run with fsync(2) made a no-op: what the two fsyncs per result
            # (result file, then done/) cost.
            spool_diagnostic(out, NOFSYNC, endpoint, workdir, "tp-nginx-nofsync", wrapper=[eatmydata])
        if os.path.isdir("/dev/shm"):
            # The same spool run on tmpfs, no disk and no ext4 inode allocation: the daemon's own
            # CPU per task apart from the file system's.
            shm = tempfile.mkdtemp(prefix="secrets-delegate-bench-", dir="/dev/shm")
            try:
                spool_diagnostic(out, TMPFS, endpoint, shm, "tp-nginx-tmpfs")
            finally:
                shutil.rmtree(shm, ignore_errors=True)
        journaled_spool_diagnostic(out, endpoint, workdir)
    summary = {"stop": out.pop("stop")[0]}
    for name, runs in out.items():
        summary[name] = spread([r["rate"] for r in runs])
        summary[name]["tasks"] = runs[0]["tasks"]
        summary[name]["statuses"] = [r["statuses"] for r in runs]
        for key in ("cpuUsPerTask", "systemCpuUsPerTask"):
            summary[name][key] = spread([r[key] for r in runs])
        counted = [r["instructionsPerTask"] for r in runs if r.get("instructionsPerTask") is not None]
        summary[name]["instructionsPerTask"] = statistics.median(counted) if counted else None
    results.setdefault("throughput", {})[endpoint_name] = summary


# 3. Latency


def spool_latency_low(d: Delegate, samples: int) -> list:
    tmp = os.path.join(d.spool, "tmp")
    new = os.path.join(d.spool, "new")
    watch = Inotify(d.done_dir())
    latencies = []
    try:
        for i in range(samples):
            task_id = f"lat-low-{i}"
            with open(os.path.join(tmp, task_id + ".json"), "wb") as f:
                f.write(task_bytes(task_id, False))
            t0 = time.perf_counter()
            os.rename(os.path.join(tmp, task_id + ".json"), os.path.join(new, task_id + ".json"))
            target = task_id + ".json"
            done = None
            while done is None:
                for name, t in watch.read(5000):
                    if name == target:
                        done = t
            latencies.append(done - t0)
    finally:
        watch.close()
    # A fast failure is no fast sample.
    statuses = d.collect_done()
    if statuses.get("succeeded", 0) != samples:
        raise RuntimeError(f"spool latency: not every task succeeded ({statuses})")
    return latencies


def wait_until(target: float) -> None:
    """Sleeps, then spins, until perf_counter() reaches target (an open-loop producer's tick)."""
    delay = target - time.perf_counter()
    if delay > 0.0005:
        time.sleep(delay)
    while time.perf_counter() < target:
        pass


def spool_latency_loaded(d: Delegate, rate: float, seconds: float) -> dict:
    n = max(int(rate * seconds), 1)
    tmp = os.path.join(d.spool, "tmp")
    new = os.path.join(d.spool, "new")
    names = []
    for i in range(n):
        task_id = f"lat-load-{i}"
        with open(os.path.join(tmp, task_id + ".json"), "wb") as f:
            f.write(task_bytes(task_id, False))
        names.append(task_id + ".json")
    enqueued = {}
    finished = {}
    watch = Inotify(d.done_dir())

    def producer():
        start = time.perf_counter()
        for i, name in enumerate(names):
            wait_until(start + i / rate)
            enqueued[name] = time.perf_counter()
            os.rename(os.path.join(tmp, name), os.path.join(new, name))
        enqueued["__end__"] = time.perf_counter() - start

    thread = threading.Thread(target=producer)
    thread.start()
    deadline = time.perf_counter() + seconds * 10 + 30
    while len(finished) < n and time.perf_counter() < deadline:
        for name, t in watch.read(200):
            finished[name] = t
    thread.join()
    watch.close()
    # Every task, succeeded: a refusal is a fast sample, and a task not finished by the deadline
    # would leave the slowest out of the percentiles.
    require_success(d.collect_done(), n, "spool latency under load")
    latencies = [finished[name] - enqueued[name] for name in names if name in finished and name in enqueued]
    if len(latencies) != n:
        raise RuntimeError(f"spool latency under load: {len(latencies)} of {n} tasks timed")
    return {"latencies": latencies, "offered": n / enqueued["__end__"], "tasks": n, "completed": len(latencies)}


def socket_latency_low(d: Delegate, samples: int) -> list:
    client = SocketClient(d.socket_path)
    lines = client.lines()
    latencies = []
    for i in range(samples):
        payload = task_bytes(f"slat-low-{i}", False) + b"\n"
        t0 = time.perf_counter()
        client.send(payload)
        line, t1 = next(lines)
        if b'"status":"succeeded"' not in line:
            raise RuntimeError(f"socket latency: a task did not succeed: {line[:300]!r}")
        latencies.append(t1 - t0)
    client.close()
    return latencies


def socket_latency_loaded(d: Delegate, rate: float, seconds: float) -> dict:
    n = max(int(rate * seconds), 1)
    payloads = [task_bytes(f"slat-load-{i}", False) + b"\n" for i in range(n)]
    client = SocketClient(d.socket_path)
    enqueued = [0.0] * n
    finished = {}
    info = {}

    def producer():
        start = time.perf_counter()
        try:
            for i, payload in enumerate(payloads):
                wait_until(start + i / rate)
                enqueued[i] = time.perf_counter()
                client.send(payload)
        except OSError:
            return  # the reader gave up and shut the connection down
        info["seconds"] = time.perf_counter() - start

    thread = threading.Thread(target=producer)
    thread.start()
    try:
        for line, t in client.lines():
            if b'"status":"succeeded"' not in line:
                raise RuntimeError(f"socket latency under load: a task did not succeed: {line[:300]!r}")
            start = line.find(b'"id":"') + 6
            task_id = line[start : line.find(b'"', start)]
            finished[int(task_id.rsplit(b"-", 1)[1])] = t
            if len(finished) == n:
                break
    finally:
        # Shut down first: a producer blocked on a full socket buffer then ends.
        try:
            client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        thread.join()
        client.close()
    latencies = [finished[i] - enqueued[i] for i in range(n) if i in finished]
    if len(latencies) != n:
        raise RuntimeError(f"socket latency under load: {len(latencies)} of {n} tasks timed")
    return {"latencies": latencies, "offered": n / info["seconds"], "tasks": n, "completed": len(latencies)}


def latency_summary(latencies):
    ms = [x * 1000 for x in latencies]
    return {
        "samples": len(ms),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else None,
    }


def bench_latency(endpoint: str, workdir: str):
    log("latency against nginx (low load, then 80% of peak)")
    tp = results["throughput"]["nginx"]
    peaks = {"spool": tp["spool get"]["median"], "socket": tp["socket get, 1 conn"]["median"]}
    d = Delegate(DAEMON, workdir, "latency", endpoint, concurrency=CONCURRENCY)
    d.start()
    pipelined(d.socket_path, [task_bytes(f"warm-{i}", False) for i in range(200)], 1)
    out = {}
    try:
        for rep in range(REPS):
            out.setdefault("spool low", []).append(latency_summary(spool_latency_low(d, LATENCY_SAMPLES)))
            out.setdefault("socket low", []).append(latency_summary(socket_latency_low(d, LATENCY_SAMPLES)))
            for fraction in LOAD_FRACTIONS:
                label = f"{int(fraction * 100)}%"
                r = spool_latency_loaded(d, fraction * peaks["spool"], LOADED_SECONDS)
                s = latency_summary(r["latencies"])
                s.update({"offeredRate": r["offered"], "targetRate": fraction * peaks["spool"], "completed": r["completed"]})
                out.setdefault(f"spool {label}", []).append(s)
                r = socket_latency_loaded(d, fraction * peaks["socket"], LOADED_SECONDS)
                s = latency_summary(r["latencies"])
                s.update({"offeredRate": r["offered"], "targetRate": fraction * peaks["socket"], "completed": r["completed"]})
                out.setdefault(f"socket {label}", []).append(s)
            for key in LATENCY_KEYS:
                x = out[key][-1]
                log(f"  rep {rep} {key}: p50 {x['p50']:.3f} p90 {x['p90']:.3f} p99 {x['p99']:.3f} ms")
    finally:
        d.stop()
    eatmydata = shutil.which("eatmydata")
    if eatmydata:
        # Diagnostic: spool latency at low load with fsync(2) made a no-op.
        d = Delegate(DAEMON, workdir, "latency-nofsync", endpoint, concurrency=CONCURRENCY, wrapper=[eatmydata])
        d.start()
        try:
            for rep in range(REPS):
                x = latency_summary(spool_latency_low(d, LATENCY_SAMPLES))
                out.setdefault(NOFSYNC_LATENCY, []).append(x)
                log(f"  rep {rep} {NOFSYNC_LATENCY}: p50 {x['p50']:.3f} p90 {x['p90']:.3f} p99 {x['p99']:.3f} ms")
        finally:
            d.stop()
    results["latency"] = out


# 4. Footprint


def bench_footprint(endpoint: str, workdir: str):
    log(f"footprint: start to READY x{STARTS}")
    starts = []
    for i in range(STARTS):
        d = Delegate(DAEMON, workdir, f"start-{i}", endpoint, concurrency=CONCURRENCY)
        starts.append(d.start() * 1000)
        d.stop()
    results["startToReadyMs"] = spread(starts)

    log(f"footprint: idle for {IDLE_SECONDS} s")
    d = Delegate(DAEMON, workdir, "idle", endpoint, concurrency=CONCURRENCY)
    d.start()
    time.sleep(2)
    rss0 = d.status_kb("VmRSS")
    ticks0, switches0, t0 = d.cpu_ticks(), d.context_switches(), time.perf_counter()
    time.sleep(IDLE_SECONDS)
    ticks1, switches1, t1 = d.cpu_ticks(), d.context_switches(), time.perf_counter()
    idle = {
        "seconds": t1 - t0,
        "rssKBStart": rss0,
        "rssKB": d.status_kb("VmRSS"),
        "rssAnonKB": d.status_kb("RssAnon"),
        "rssFileKB": d.status_kb("RssFile"),
        "pssKB": d.pss_kb(),
        "hwmKB": d.status_kb("VmHWM"),
        "cpuSeconds": (ticks1 - ticks0) / CLK_TCK,
        "cpuPercent": 100 * (ticks1 - ticks0) / CLK_TCK / (t1 - t0),
        "contextSwitchesPerSecond": (switches1 - switches0) / (t1 - t0),
        "threads": d.threads(),
    }
    # The same daemon after its first task: libcurl (and the OpenSSL start-up it runs) is opened
    # at the first AWS call, so a delegate that has served anything keeps this much at least.
    pipelined(d.socket_path, [task_bytes("first", False)], 1)
    time.sleep(2)
    idle["rssKBAfterOne"] = d.status_kb("VmRSS")
    idle["rssAnonKBAfterOne"] = d.status_kb("RssAnon")
    idle["threadsAfterOne"] = d.threads()
    # The same daemon after work: RSS once it has run tasks and gone idle again.
    pipelined(d.socket_path, [task_bytes(f"after-{i}", False) for i in range(5000)], 4)
    time.sleep(5)
    idle["rssKBAfterWork"] = d.status_kb("VmRSS")
    idle["rssAnonKBAfterWork"] = d.status_kb("RssAnon")
    ticks2, t2 = d.cpu_ticks(), time.perf_counter()
    time.sleep(min(IDLE_SECONDS, 20))
    idle["cpuPercentAfterWork"] = 100 * (d.cpu_ticks() - ticks2) / CLK_TCK / (time.perf_counter() - t2)
    d.stop()
    results["idle"] = idle
    log(f"  idle: {idle}")

    log(f"footprint: draining a {BACKLOG}-task backlog")
    d = Delegate(DAEMON, workdir, "backlog", endpoint, concurrency=CONCURRENCY)
    new = os.path.join(d.spool, "new")
    os.makedirs(new, exist_ok=True)
    for i in range(BACKLOG):
        with open(os.path.join(new, f"bl-{i}.json"), "wb") as f:
            f.write(task_bytes(f"bl-{i}", False))
    start = time.perf_counter()
    ready = d.start()
    peak_rss = 0
    while True:
        try:
            peak_rss = max(peak_rss, d.status_kb("VmRSS"))
            if d.count_done() >= BACKLOG:
                break
        except FileNotFoundError:
            pass
        if time.perf_counter() - start > 900:
            raise RuntimeError("backlog did not drain")
        time.sleep(0.25)
    seconds = time.perf_counter() - start
    backlog = {
        "tasks": BACKLOG,
        "secondsFromStart": seconds,
        "rate": BACKLOG / seconds,
        "readyMs": ready * 1000,
        "hwmKB": d.status_kb("VmHWM"),
        "sampledPeakRssKB": peak_rss,
        "rssKBAfter": d.status_kb("VmRSS"),
        "rssAnonKBAfter": d.status_kb("RssAnon"),
        "cpuSeconds": d.cpu_ticks() / CLK_TCK,
    }
    d.stop()
    backlog["statuses"] = require_success(d.collect_done(), BACKLOG, "backlog drain")
    results["backlog"] = backlog
    log(f"  backlog: {backlog}")


# 5. Credential cost


def bench_credentials(endpoint: str, workdir: str):
    log(f"credential requests per {CREDENTIAL_TASKS} tasks (instanceRole and assumeRole)")
    identity = servers.CountingIdentityServer()
    d = Delegate(
        DAEMON, workdir, "credentials", endpoint, concurrency=CONCURRENCY, imds=identity.endpoint, sts=identity.endpoint
    )
    out = {}
    try:
        d.start()
        out["atStart"] = identity.snapshot()
        for kind in ["instanceRole", "assumeRole"]:
            before = identity.snapshot()
            warm = pipelined(
                d.socket_path, [task_bytes(f"cw-{kind}-{i}", False, kind) for i in range(100)], 1
            )
            after_warm = identity.snapshot()
            run = pipelined(
                d.socket_path, [task_bytes(f"c-{kind}-{i}", False, kind) for i in range(CREDENTIAL_TASKS)], 4
            )
            after = identity.snapshot()
            out[kind] = {
                "warmUp": {k: after_warm[k] - before[k] for k in before},
                "warmUpStatuses": warm["statuses"],
                "steadyState": {k: after[k] - after_warm[k] for k in before},
                "tasks": CREDENTIAL_TASKS,
                "statuses": run["statuses"],
                "rate": CREDENTIAL_TASKS / run["seconds"],
            }
            log(f"  {kind}: {out[kind]}")
    finally:
        d.stop()
        identity.stop()
    results["credentials"] = out


# 6. `get`: one secret per process, against the AWS CLI and a one-shot boto3 script

GET_TOOLS = ["secrets-delegate get", "aws secretsmanager get-secret-value", "boto3 one-shot script"]
# Diagnostics, each with the exit status it must end with.
GET_FULL = "secrets-delegated get, the full binary, same command line (diagnostic)"
GET_START_ONLY = "secrets-delegate --version, the front binary then the full one, start and exit (diagnostic)"
GET_FRONT_ONLY = "secrets-delegate get to a missing socket, the front binary's start and exit (diagnostic)"
EXEC_FRONT = "secrets-delegate exec --socket S --env V=bench:cli -- printenv V, the front binary (diagnostic)"
EXEC_FULL = "secrets-delegated exec, the full binary, same command line (diagnostic)"
GET_DIAGNOSTICS = {GET_FULL: 0, GET_START_ONLY: 0, GET_FRONT_ONLY: 69, EXEC_FRONT: 0, EXEC_FULL: 0}


def bench_get(moto, workdir: str):
    log(f"get: one secret per process x{GET_CALLS} per tool (moto_server, auth off)")
    endpoint = moto.endpoint
    d = Delegate(DAEMON, workdir, "get", endpoint, concurrency=CONCURRENCY, extra=named_connector("bench"))
    aws = shutil.which("aws")
    if not aws:
        raise RuntimeError("the AWS CLI (`aws`, pip install awscli) is missing")
    commands = {
        "secrets-delegate get": [DAEMON, "get", "--socket", d.socket_path, "bench", "cli"],
        "aws secretsmanager get-secret-value": [
            aws, "secretsmanager", "get-secret-value", "--secret-id", "bench/cli",
            "--query", "SecretString", "--output", "text", "--endpoint-url", endpoint,
        ],
        "boto3 one-shot script": [sys.executable, os.path.join(HERE, "boto3_get.py"), endpoint, "bench/cli"],
        GET_FULL: [FULL_BINARY, "get", "--socket", d.socket_path, "bench", "cli"],
        GET_START_ONLY: [DAEMON, "--version"],
        GET_FRONT_ONLY: [DAEMON, "get", "--socket", os.path.join(workdir, "absent.sock"), "bench", "cli"],
        EXEC_FRONT: [DAEMON, "exec", "--socket", d.socket_path, "--env", "V=bench:cli", "--", "printenv", "V"],
        EXEC_FULL: [FULL_BINARY, "exec", "--socket", d.socket_path, "--env", "V=bench:cli", "--", "printenv", "V"],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(BENCH_ENV)
    # A secret of its own: the throughput runs' writes have changed bench/db by now.
    expected = '{"user":"app","password":"g3t"}'
    moto.create_secret("bench/cli", expected)
    expected = expected.encode()

    def call(tool) -> tuple:
        t0 = time.perf_counter()
        run = subprocess.run(commands[tool], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        seconds = time.perf_counter() - t0
        # As `v=$(...)` would keep it: trailing newlines dropped (the AWS CLI adds one).
        if tool in (GET_START_ONLY, GET_FRONT_ONLY):
            return seconds, run.returncode == GET_DIAGNOSTICS[tool]
        return seconds, run.returncode == 0 and run.stdout.rstrip(b"\n") == expected

    tools = GET_TOOLS + [t for t in GET_DIAGNOSTICS if t not in (GET_FULL, EXEC_FULL) or os.access(FULL_BINARY, os.X_OK)]
    d.start()
    out = {tool: {"ms": [], "failed": 0} for tool in tools}
    try:
        for tool in tools:  # untimed: page cache, .pyc files, the delegate's connection
            call(tool)
        for i in range(GET_CALLS):
            # Interleaved call by call, so drift hits all alike.
            for tool in tools:
                seconds, ok = call(tool)
                out[tool]["ms"].append(seconds * 1000)
                out[tool]["failed"] += 0 if ok else 1
    finally:
        d.stop()
    summary = {}
    for tool in tools:
        # A call that failed fast (a refused connect) would count as a fast one in the median and
        # the goal's ratio: the run fails instead, as a timed socket or spool run does.
        if out[tool]["failed"]:
            raise RuntimeError(f"get: {out[tool]['failed']} of {tool}'s calls failed")
        ms = out[tool]["ms"]
        summary[tool] = {"calls": len(ms), "failed": out[tool]["failed"], "median": statistics.median(ms),
                         "p99": percentile(ms, 99), "min": min(ms), "max": max(ms)}
        log(f"  {tool}: median {summary[tool]['median']:.1f} ms, p99 {summary[tool]['p99']:.1f} ms, "
            f"{summary[tool]['failed']} failed")
    results["get"] = summary


# 7. Read cache hits through the socket


def one_at_a_time(client, lines, payload: bytes) -> tuple:
    t0 = time.perf_counter()
    client.send(payload + b"\n")
    line, t1 = next(lines)
    return t1 - t0, line


def bench_cache(workdir: str):
    log(f"read cache: {CACHE_READS} reads one at a time, cached (TTL 3600 s) and uncached, counted nginx")
    counted = servers.Nginx(workdir, "nginx-counted", counted=True)
    d = Delegate(DAEMON, workdir, "cache", counted.endpoint, concurrency=CONCURRENCY,
                 extra=named_connector("cached", 3600) + named_connector("uncached", 0))
    out = {}
    try:
        d.start()
        client = SocketClient(d.socket_path)
        lines = client.lines()
        for connector_id in ("cached", "uncached"):  # the warm-up read fills the cache
            _, line = one_at_a_time(client, lines, named_get_bytes(f"warm-{connector_id}", connector_id))
            if b'"status":"succeeded"' not in line:
                raise RuntimeError(f"cache warm-up through {connector_id} failed: {line[:200]!r}")
        for rep in range(REPS):
            for label, connector_id in (("cache hit", "cached"), ("no cache", "uncached")):
                time.sleep(0.2)  # nginx logs a request after answering it: let the last one land
                before = counted.requests()
                latencies, succeeded, marked = [], 0, 0
                for i in range(CACHE_READS):
                    seconds, line = one_at_a_time(client, lines, named_get_bytes(f"c{rep}-{connector_id}-{i}", connector_id))
                    latencies.append(seconds)
                    succeeded += b'"status":"succeeded"' in line
                    marked += b'"cached":true' in line
                time.sleep(0.2)
                x = latency_summary(latencies)
                x.update({"reads": CACHE_READS, "succeeded": succeeded, "markedCached": marked,
                          "awsCalls": counted.requests() - before})
                out.setdefault(label, []).append(x)
                log(f"  rep {rep} {label}: p50 {x['p50']:.3f} p99 {x['p99']:.3f} ms, {x['awsCalls']} AWS calls, "
                    f"{marked} marked cached, {succeeded} succeeded")
        client.send(b'{"control":"status"}\n')
        status, _ = next(lines)
        out["daemonCounters"] = json.loads(status).get("cache")
        client.close()
    finally:
        d.stop()
        counted.stop()
    results["cache"] = out


# 8. Sealed results


def bench_sealing(endpoint: str, workdir: str):
    log(f"sealed results: {SEAL_TASKS} socket tasks sealed and unsealed, daemon CPU per task (nginx)")
    d = Delegate(DAEMON, workdir, "sealing", endpoint, concurrency=CONCURRENCY)
    keyfile = os.path.join(d.dir, "result.key")
    public_key = subprocess.run([DAEMON, "keygen", "--out", keyfile], capture_output=True, text=True,
                                check=True).stdout.strip()
    out = {}
    try:
        d.start()
        # Warm-up, and a check that a sealed result is sealed and opens with the private key.
        pipelined(d.socket_path, [task_bytes(f"warm-{i}", False, seal_to=public_key) for i in range(200)], 1)
        client = SocketClient(d.socket_path)
        _, line = one_at_a_time(client, client.lines(), task_bytes("seal-check", False, seal_to=public_key))
        client.close()
        opened = subprocess.run([DAEMON, "open", "--key", keyfile, "-"], input=line, capture_output=True)
        out["checked"] = b'"sealed":{' in line and b'"result":' not in line and opened.returncode == 0
        if not out["checked"]:
            raise RuntimeError("a sealed result was not sealed, or did not open")
        for rep in range(REPS):
            for label, seal_to in (("unsealed", None), ("sealed", public_key)):
                payloads = [task_bytes(f"s{rep}-{label}-{i}", False, seal_to=seal_to) for i in range(SEAL_TASKS)]
                r = daemon_cpu(d, lambda _, p: dict(pipelined(d.socket_path, p, 1), tasks=len(p)), payloads)
                r["rate"] = r["tasks"] / r["seconds"]
                out.setdefault(label, []).append(r)
                log(f"  rep {rep} {label}: {r['rate']:.0f} tasks/s, {r['cpuUsPerTask']:.0f} µs CPU/task {r['statuses']}")
    finally:
        d.stop()
    for label in ("unsealed", "sealed"):
        runs = out[label]
        out[label] = {"rate": spread([r["rate"] for r in runs]), "cpuUsPerTask": spread([r["cpuUsPerTask"] for r in runs]),
                      "systemCpuUsPerTask": spread([r["systemCpuUsPerTask"] for r in runs]),
                      "tasks": runs[0]["tasks"], "statuses": [r["statuses"] for r in runs]}
    results["sealing"] = out


# 9. The SQS intake against a boto3 SQS worker

SQS_SCENARIOS = [
    # (name, worker: "delegate" or the boto3 worker's mode, mix)
    ("delegate, SQS intake, get", "delegate", False),
    ("delegate, SQS intake, 90/10", "delegate", True),
    ("boto3 SQS worker, batched, get", "batch", False),
    ("boto3 SQS worker, per message, get", "single", False),
    ("boto3 SQS worker, batched, 90/10", "batch", True),
    ("boto3 SQS worker, per message, 90/10", "single", True),
]
SQS_ACTIONS = [("ReceiveMessage", "Receive"), ("SendMessage", "Send"), ("SendMessageBatch", "SendBatch"),
               ("DeleteMessage", "Delete"), ("DeleteMessageBatch", "DeleteBatch"),
               ("ChangeMessageVisibility", "ChangeVisibility")]


def sqs_client(endpoint: str):
    import boto3

    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=BENCH_ENV["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=BENCH_ENV["AWS_SECRET_ACCESS_KEY"])


class ResultDrain:
    """Takes results off the reply queue while a run goes (batch receives, batch deletes, straight
    to moto: not through the counting proxy), so the reply queue stays short (moto's cost per
    request grows with a queue's depth). Counts results by status and task id. One thread:
    moto's ReceiveMessage is not atomic, so concurrent receivers can get the same message."""

    def __init__(self, admin, queue_url: str, threads: int = 1):
        self.admin, self.queue_url = admin, queue_url
        self.lock = threading.Lock()
        self.ids, self.statuses, self.duplicates = set(), {}, 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def loop(self) -> None:
        while not self.stopping.is_set():
            try:
                messages = self.admin.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=120,
                    MessageAttributeNames=["taskId"]).get("Messages", [])
                if messages:
                    self.admin.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            except Exception as error:  # a moto hiccup: the run's deadline catches a drain that never recovers
                log(f"  result drain: {type(error).__name__}: {str(error)[:200]}")
                self.stopping.wait(0.5)
                continue
            with self.lock:
                for m in messages:
                    document = json.loads(m["Body"])
                    status = document.get("status", "?")
                    if status != "succeeded":
                        status += ":" + document.get("error", {}).get("code", "?")
                    task_id = m.get("MessageAttributes", {}).get("taskId", {}).get("StringValue")
                    if task_id in self.ids:
                        self.duplicates += 1
                        continue
                    self.ids.add(task_id)
                    self.statuses[status] = self.statuses.get(status, 0) + 1

    def count(self) -> int:
        with self.lock:
            return len(self.ids)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def sqs_run(moto, proxy, workdir: str, n: int, worker: str, mix: bool, tag: str) -> dict:
    """N tasks preloaded into a fresh task queue, then one worker (the delegate, or the boto3 SQS
    worker in `worker` mode) started on it; timed until the N results were taken off the reply
    queue. The worker's calls go through the counting proxy; the harness's go to moto directly."""
    admin = sqs_client(moto.endpoint)
    attributes = {"VisibilityTimeout": "60"}  # the delegate's default lease; the boto3 worker gets it too
    tasks_url = admin.create_queue(QueueName=f"{tag}-tasks", Attributes=attributes)["QueueUrl"]
    replies_url = admin.create_queue(QueueName=f"{tag}-replies", Attributes=attributes)["QueueUrl"]
    bodies = []
    for i in range(n):
        document = task(f"{tag}-{i}", is_write(i, mix))
        document["replyTo"] = replies_url
        bodies.append(json.dumps(document, separators=(",", ":")))
    for i in range(0, n, 10):
        admin.send_message_batch(QueueUrl=tasks_url, Entries=[
            {"Id": str(j), "MessageBody": body} for j, body in enumerate(bodies[i:i + 10])])
    drain = ResultDrain(admin, replies_url)
    moto_pid = moto.child.process.pid
    process = d = None
    try:
        if worker == "delegate":
            extra = (f'\n[sqs]\nqueue_urls = ["{tasks_url}"]\nregion = "us-east-1"\nendpoint = "{proxy.endpoint}"\n'
                     f"wait_seconds = {SQS_WAIT_SECONDS}\nvisibility_seconds = 60\n")
            d = Delegate(DAEMON, workdir, tag, proxy.endpoint, concurrency=CONCURRENCY, extra=extra)
            before, moto_before = proxy.counts(), cpu_times(moto_pid)
            start = time.perf_counter()  # the delegate's start (~30 ms to READY) is timed
            d.start()
            pid, cpu_before = d.pid, (0, 0)
        else:
            process = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "boto3_sqs_worker.py"), proxy.endpoint, tasks_url, replies_url,
                 str(BOTO_THREADS), str(SQS_WAIT_SECONDS), worker],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            json.loads(process.stdout.readline())  # ready: clients made, warm-up calls done (not timed)
            pid, cpu_before = process.pid, cpu_times(process.pid)
            before, moto_before = proxy.counts(), cpu_times(moto_pid)
            start = time.perf_counter()
            process.stdin.write("go\n")
            process.stdin.flush()
        deadline = start + 600
        while drain.count() < n:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"sqs run {tag}: only {drain.count()} of {n} results")
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        cpu_after, moto_after = cpu_times(pid), cpu_times(moto_pid)
        time.sleep(0.2)  # nginx logs a request after answering it: let the last ones land
        after = proxy.counts()
        # Every task message deleted after its result: nothing visible, nothing leased.
        left = None
        for _ in range(50):
            a = admin.get_queue_attributes(QueueUrl=tasks_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            left = int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])
            if left == 0:
                break
            time.sleep(0.1)
        deleted = None
        if d:  # the delegate's own count of task messages it deleted (each delete answered OK)
            client = SocketClient(d.socket_path)
            client.send(b'{"control":"status"}\n')
            status, _ = next(client.lines())
            client.close()
            deleted = json.loads(status).get("queues", {}).get(tasks_url, {}).get("deleted")
    finally:
        if d:
            d.stop()
        if process:
            process.stdin.close()
            try:
                process.wait(timeout=SQS_WAIT_SECONDS + 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drain.stop()
    worker_counts = json.loads(process.stdout.read().strip().splitlines()[-1]) if process else None
    if worker_counts:
        deleted = worker_counts["deleted"]
    for url in (tasks_url, replies_url):
        admin.delete_queue(QueueUrl=url)
    requests = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    sqs_requests = sum(v for k, v in requests.items() if k.startswith("AmazonSQS."))
    return {
        "tasks": n,
        "seconds": seconds,
        "rate": n / seconds,
        "statuses": drain.statuses,
        "duplicateResults": drain.duplicates,
        "taskMessagesLeft": left,
        "deletesAnswered": deleted,
        "requests": requests,
        "sqsRequestsPerTask": sqs_requests / n,
        "secretsManagerCallsPerTask": sum(v for k, v in requests.items() if k.startswith("secretsmanager.")) / n,
        "errorResponses": sum(v for k, v in requests.items() if k.endswith(" (error)")),
        "cpuUsPerTask": (sum(cpu_after) - sum(cpu_before)) / CLK_TCK * 1e6 / n,
        "systemCpuUsPerTask": (cpu_after[1] - cpu_before[1]) / CLK_TCK * 1e6 / n,
        "motoCpuUsPerTask": (sum(moto_after) - sum(moto_before)) / CLK_TCK * 1e6 / n,
        "workerCounts": worker_counts,
    }


def bench_sqs(moto, workdir: str):
    log(f"SQS: {SQS_TASKS} tasks per run through a moto queue, the delegate's SQS intake and a boto3 SQS worker")
    proxy = servers.CountingProxy(workdir, f"127.0.0.1:{moto.port}")
    out = {}
    try:
        for rep in range(REPS):
            for name, worker, mix in SQS_SCENARIOS:  # interleaved, so drift hits all alike
                tag = f"sqs-{rep}-{worker}-{'mix' if mix else 'get'}"
                r = sqs_run(moto, proxy, workdir, SQS_TASKS, worker, mix, tag)
                log(f"  rep {rep}: {name}: {r['rate']:.0f} tasks/s, {r['sqsRequestsPerTask']:.2f} SQS requests/task, "
                    f"{r['cpuUsPerTask']:.0f} µs CPU/task (moto {r['motoCpuUsPerTask']:.0f}) {r['statuses']} "
                    f"{json.dumps(r['requests'])}")
                out.setdefault(name, []).append(r)
    finally:
        proxy.stop()
    summary = {}
    for name, runs in out.items():
        summary[name] = spread([r["rate"] for r in runs])
        for key in ("cpuUsPerTask", "systemCpuUsPerTask", "motoCpuUsPerTask", "sqsRequestsPerTask",
                    "secretsManagerCallsPerTask"):
            summary[name][key] = spread([r[key] for r in runs])
        total = sum(r["tasks"] for r in runs)
        actions = {}
        for r in runs:
            for k, v in r["requests"].items():
                actions[k] = actions.get(k, 0) + v
        summary[name].update({
            "tasks": runs[0]["tasks"],
            "requestsPerTask": {k: v / total for k, v in sorted(actions.items())},
            "statuses": [r["statuses"] for r in runs],
            "duplicateResults": sum(r["duplicateResults"] for r in runs),
            "taskMessagesLeft": sum(r["taskMessagesLeft"] or 0 for r in runs),
            "deletesAnswered": sum(r["deletesAnswered"] or 0 for r in runs),
            "tasksInAllRuns": sum(r["tasks"] for r in runs),
            "errorResponses": sum(r["errorResponses"] for r in runs),
            "workerCounts": [r["workerCounts"] for r in runs],
        })
    results["sqs"] = summary


# 10. The credentials socket: LoadCredential= requests as systemd's helper makes them


def credential_request(path: str, unit: str, credential_id: str) -> tuple:
    """What systemd's helper does: bind `\\0<hex>/unit/<unit>/<id>`, connect, shut down writing,
    read to EOF. Returns (seconds, bytes read)."""
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(f"\0{random.getrandbits(64):x}/unit/{unit}/{credential_id}")
        s.connect(path)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    finally:
        s.close()
    return time.perf_counter() - t0, data


def bench_credsock(endpoint: str, workdir: str):
    log(f"credentials socket: {CREDENTIAL_REQUESTS} LoadCredential-style requests one at a time, cached and not (nginx)")
    credentials = "\n".join(
        f'[[credential]]\nunit = "app.service"\nid = "{cid}"\nconnector = "{cid}"\nsecret = "db"\n'
        for cid in ("uncached", "cached"))
    units = 'allowed_units = ["app.service"]\n'
    path = os.path.join(workdir, "credsock", "credentials.sock")
    d = Delegate(DAEMON, workdir, "credsock", endpoint, concurrency=CONCURRENCY,
                 extra=named_connector("uncached", 0) + units + named_connector("cached", 3600) + units + credentials,
                 queue_extra=f'credentials_socket_path = "{path}"')
    out = {}
    try:
        d.start()
        for cid in ("uncached", "cached"):  # warm-up; the cached one fills the cache
            _, value = credential_request(path, "app.service", cid)
            if value != b"app:s3cr3t":
                raise RuntimeError(f"credential {cid}: unexpected answer of {len(value)} bytes")
        for rep in range(REPS):
            for label, cid in (("no cache", "uncached"), ("cache hit", "cached")):
                latencies, served = [], 0
                for _ in range(CREDENTIAL_REQUESTS):
                    seconds, value = credential_request(path, "app.service", cid)
                    latencies.append(seconds)
                    served += value == b"app:s3cr3t"
                x = latency_summary(latencies)
                x.update({"requests": CREDENTIAL_REQUESTS, "served": served})
                out.setdefault(label, []).append(x)
                log(f"  rep {rep} {label}: p50 {x['p50']:.3f} p99 {x['p99']:.3f} ms, {served} served")
    finally:
        d.stop()
    results["credsock"] = out


# Environment and report


def binaries_newer_than_tree() -> bool:
    """Whether both binaries measured were built after every tracked source file's last change
    (a checkout or an edit touches them): a build from an older tree would carry HEAD's label."""
    try:
        built = min(os.path.getmtime(path) for path in (DAEMON, FULL_BINARY))
        tracked = subprocess.run(["git", "-C", ROOT, "ls-files", "Sources", "Package.swift"], capture_output=True,
                                 text=True, timeout=30).stdout.split()
        return built >= max(os.path.getmtime(os.path.join(ROOT, path)) for path in tracked)
    except (OSError, ValueError, subprocess.SubprocessError):
        return False


def environment() -> dict:
    def cmd(args):
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception as error:
            return f"unavailable ({error})"

    import boto3
    import botocore
    import moto

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memoryMB": int(mem) // 1024,
        "kernel": platform.release(),
        "debian": open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?",
        "swift": cmd(["swift", "--version"]).splitlines()[0] if cmd(["swift", "--version"]) else "?",
        "delegate": cmd([DAEMON, "--version"]),
        # A tree with changes since the commit is not that commit's code: marked.
        "commit": cmd(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
        + ("" if subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD"]).returncode == 0 else "-dirty")
        # Binaries built before the commit was made (or before a change since) may not be its
        # code: a run on them is labelled so, not taken for the commit's figures.
        + ("" if binaries_newer_than_tree() else " (binaries older than the tree)"),
        "python": platform.python_version(),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "moto": moto.__version__,
        "nginx": cmd([shutil.which("nginx") or "/usr/sbin/nginx", "-v"]) or subprocess.run(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-v"], capture_output=True, text=True
        ).stderr.strip(),
        "libcurl": cmd(["curl-config", "--version"]) or "?",
        "quick": QUICK,
        "reps": REPS,
        "botoThreads": BOTO_THREADS,
        "concurrency": CONCURRENCY,
        "loadAverageAtStart": os.getloadavg(),
    }


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def cpu_per_task(x) -> str:
    return f"{fmt(x['cpuUsPerTask']['median'])} ({fmt(x['systemCpuUsPerTask']['median'])})"


def render() -> str:
    e = results["environment"]
    lines = []
    w = lines.append
    w(f"Run {e['date']} ({'QUICK mode: small counts, not for publishing' if e['quick'] else 'full run'}), "
      f"commit `{e['commit']}`, `{e['delegate']}`.")
    w("")
    w(f"Machine: {e['cpu']}, {e['cores']} cores, {e['memoryMB']} MB, Linux {e['kernel']}, Debian {e['debian']}; "
      f"load average at start {', '.join(f'{x:.2f}' for x in e['loadAverageAtStart'])}. "
      f"{e['swift']}; Python {e['python']}, boto3 {e['boto3']}, botocore {e['botocore']}, moto {e['moto']}; "
      f"{e['nginx']}; {e['libcurl']}. Delegate concurrency {e['concurrency']}, boto3 worker threads "
      f"{e['botoThreads']}. Each figure: median of {e['reps']} runs (signing: {e['reps'] + 2}), spread = min-max.")
    w("")

    s = results["signing"]
    w("### 1. Signing (ns per signature, GetSecretValue request)")
    w("")
    w("| implementation | median ns/op | min-max | botocore / this |")
    w("|---|---:|---:|---:|")
    base = s["SigV4Auth"]["median"]
    for key, label in [("cached", "delegate SigV4Signer, cached key"), ("cold", "delegate SigV4Signer, cold key"),
                       ("SigV4Auth", "botocore SigV4Auth (derives the key every call)")]:
        x = s[key]
        w(f"| {label} | {fmt(x['median'])} | {fmt(x['min'])}-{fmt(x['max'])} | {base / x['median']:.1f}x |")
    w("")

    w("### 2. Throughput end to end (tasks/s)")
    w("")
    for endpoint_name, title in [("nginx", "canned nginx endpoint"), ("moto", "moto_server (auth off)")]:
        tp = results["throughput"].get(endpoint_name)
        if not tp:
            continue
        w(f"Against the {title}:")
        w("")
        w("| scenario | tasks per run | median tasks/s | min-max | vs boto3 worker (same mix) | CPU per task, µs (of it system) | all succeeded |")
        w("|---|---:|---:|---:|---:|---:|---|")
        for name, intake, mix, _ in SCENARIOS:
            x = tp[name]
            baseline = tp["boto3 worker 90/10" if mix else "boto3 worker get"]["median"]
            # Every status counted is `succeeded` (the boto3 worker's counts have an `other` key,
            # the delegate's one per status and error code).
            ok = all(all(key == "succeeded" or count == 0 for key, count in st.items()) for st in x["statuses"])
            cpu = f"{cpu_per_task(x)}{'*' if intake.startswith('boto3') else ''}"
            w(f"| {name} | {x['tasks']:,} | {fmt(x['median'])} | {fmt(x['min'])}-{fmt(x['max'])} | "
              f"{x['median'] / baseline:.1f}x | {cpu} | {'yes' if ok else 'NO: ' + json.dumps(x['statuses'])[:200]} |")
        for diagnostic in (NOFSYNC, TMPFS, JOURNALED):
            if diagnostic not in tp:
                continue
            x = tp[diagnostic]
            w(f"| {diagnostic} | {x['tasks']:,} | {fmt(x['median'])} | {fmt(x['min'])}-{fmt(x['max'])} | "
              f"{x['median'] / tp['boto3 worker get']['median']:.1f}x | {cpu_per_task(x)} | diagnostic only |")
        w("")
    w("CPU per task: the daemon's utime+stime (`/proc/PID/stat`) over the run / tasks, median of the runs, "
      "stime in parentheses; \\* the boto3 worker's whole process (interpreter start and imports included). "
      "The boto3 worker writes its results with `rename` and no `fsync`; the delegate's spool results are "
      "fsynced (file and `done/`), so the spool ratio compares durable results with results that are not; "
      "the worker with durable results (each file and the directory fsynced, per result) is its own row. "
      "A spool run's clock stops when every result is in `done/` and every task file is gone, which the "
      "delegate does only after the `done/` fsync that makes the result durable. Diagnostic rows run after the interleaved "
      "runs, not among them; their ratio is against the interleaved boto3 median.")
    w("")
    counted = {name: x["instructionsPerTask"] for name, x in tp.items()
               if isinstance(x, dict) and x.get("instructionsPerTask") is not None}
    if counted:
        w("Instructions per task (user space, `perf stat -e instructions:u -p`, median of the runs): "
          + "; ".join(f"{name} {fmt(v)}" for name, v in counted.items()) + ".")
        w("")
    render_instructions(w)

    w("### 3. Latency, enqueue to result, against nginx (ms)")
    w("")
    w("| intake, load | offered tasks/s | p50 | p90 | p99 | max | (medians over runs; p99 range) |")
    w("|---|---:|---:|---:|---:|---:|---|")
    for key in LATENCY_KEYS + [NOFSYNC_LATENCY]:
        runs = results["latency"].get(key)
        if not runs:
            continue
        med = lambda f: statistics.median([r[f] for r in runs if r[f] is not None])  # noqa: E731
        offered = "one at a time" if "low" in key else fmt(med("offeredRate"))
        p99s = [r["p99"] for r in runs]
        w(f"| {key} | {offered} | {med('p50'):.3f} | {med('p90'):.3f} | {med('p99'):.3f} | {med('max'):.3f} | "
          f"{min(p99s):.3f}-{max(p99s):.3f} |")
    w("")

    i = results["idle"]
    b = results["backlog"]
    st = results["startToReadyMs"]
    w("### 4. Footprint")
    w("")
    w("| measure | value |")
    w("|---|---|")
    w(f"| idle RSS (VmRSS, fresh daemon) | {i['rssKB'] / 1024:.1f} MB: {i['rssAnonKB'] / 1024:.1f} MB anonymous "
      f"(heap, stacks), {i['rssFileKB'] / 1024:.1f} MB file-backed (binary and shared libraries' pages); "
      f"PSS {i['pssKB'] / 1024:.1f} MB |")
    w(f"| idle CPU over {i['seconds']:.0f} s | {i['cpuPercent']:.3f}% ({i['cpuSeconds']:.2f} s CPU), "
      f"{i['contextSwitchesPerSecond']:.1f} context switches/s, {i['threads']} threads |")
    w(f"| idle RSS after its first task (libcurl opened) | {i['rssKBAfterOne'] / 1024:.1f} MB "
      f"({i['rssAnonKBAfterOne'] / 1024:.1f} MB anonymous), {i['threadsAfterOne']} threads |")
    w(f"| idle RSS after 5,000 tasks | {i['rssKBAfterWork'] / 1024:.1f} MB ({i['rssAnonKBAfterWork'] / 1024:.1f} MB anonymous); "
      f"idle CPU then {i['cpuPercentAfterWork']:.3f}% |")
    w(f"| start to READY=1 | median {st['median']:.1f} ms, {st['min']:.1f}-{st['max']:.1f} ms over {len(st['runs'])} starts |")
    w(f"| {b['tasks']:,}-task backlog: peak RSS (VmHWM) | {b['hwmKB'] / 1024:.1f} MB "
      f"(RSS after: {b['rssKBAfter'] / 1024:.1f} MB, {b['rssAnonKBAfter'] / 1024:.1f} MB anonymous) |")
    w(f"| {b['tasks']:,}-task backlog: drain time from start | {b['secondsFromStart']:.1f} s "
      f"({fmt(b['rate'])} tasks/s, READY after {b['readyMs']:.0f} ms, {b['cpuSeconds']:.1f} s CPU), "
      f"results {json.dumps(b['statuses'])} |")
    w("")

    c = results["credentials"]
    w(f"### 5. Credential requests per {CREDENTIAL_TASKS:,} tasks (steady state, after 100 warm-up tasks)")
    w("")
    w("| connector | IMDS token | IMDS role | IMDS credentials | STS AssumeRole | during warm-up | tasks succeeded |")
    w("|---|---:|---:|---:|---:|---|---|")
    for kind in ["instanceRole", "assumeRole"]:
        x = c[kind]
        ss = x["steadyState"]
        w(f"| {kind} | {ss['imdsToken']} | {ss['imdsRole']} | {ss['imdsCredentials']} | {ss['stsAssumeRole']} | "
          f"{json.dumps({k: v for k, v in x['warmUp'].items() if v})} | {x['statuses'].get('succeeded', 0):,} of {x['tasks']:,} |")
    w(f"\nAt start (before any task): {json.dumps({k: v for k, v in c['atStart'].items() if v}) or 'none'}.")
    w("")

    render_get(w)
    render_cache(w)
    render_sealing(w)
    render_sqs(w)
    render_credsock(w)

    w("### Goals")
    w("")
    tp = results["throughput"]["nginx"]
    spool_p99 = statistics.median([r["p99"] for r in results["latency"]["spool low"]])
    steady = sum(sum(c[k]["steadyState"].values()) for k in ["instanceRole", "assumeRole"])
    boto3 = tp["boto3 worker get"]["median"]
    socket_ratio = tp["socket get, 4 conns"]["median"] / boto3
    spool_ratio = tp["spool get"]["median"] / boto3
    goals = [
        ("socket get (4 conns) vs boto3 worker", ">= 20x", f"{socket_ratio:.1f}x", socket_ratio >= 20),
        ("spool get vs boto3 worker, every result durable (the worker's are not)", ">= 5x",
         f"{spool_ratio:.1f}x ({tp['spool get']['median'] / tp['boto3 worker get, durable results']['median']:.1f}x "
         "the worker whose results are durable too)",
         spool_ratio >= 5),
        ("spool p99 latency, low load", "< 5 ms", f"{spool_p99:.2f} ms", spool_p99 < 5),
        ("signing, cached key", "<= 2 us", f"{s['cached']['median'] / 1000:.2f} us", s["cached"]["median"] <= 2000),
        ("idle RSS (fresh daemon)", "<= 16 MB",
         f"{i['rssKB'] / 1024:.1f} MB ({i['rssAnonKB'] / 1024:.1f} MB anonymous)",
         i["rssKB"] <= 16 * 1024),
        # A delegate that has served anything has libcurl (and OpenSSL) loaded: idle in service.
        ("idle RSS after its first task (libcurl opened)", "<= 16 MB", f"{i['rssKBAfterOne'] / 1024:.1f} MB",
         i["rssKBAfterOne"] <= 16 * 1024),
        ("idle CPU", "< 0.1%", f"{i['cpuPercent']:.3f}%", i["cpuPercent"] < 0.1),
        ("start to READY", "<= 50 ms", f"{st['median']:.1f} ms", st["median"] <= 50),
        (f"backlog peak RSS ({b['tasks']:,} tasks)", "< 64 MB", f"{b['hwmKB'] / 1024:.1f} MB", b["hwmKB"] < 64 * 1024),
        ("credential requests per 10,000 tasks, steady state", "0", str(steady), steady == 0),
        ("daemon CPU per task, socket (socket get, 4 conns)", "<= 100 us",
         f"{tp['socket get, 4 conns']['cpuUsPerTask']['median']:.0f} us",
         tp["socket get, 4 conns"]["cpuUsPerTask"]["median"] <= 100),
        ("daemon CPU per task, spool (spool get)", "<= 150 us", f"{tp['spool get']['cpuUsPerTask']['median']:.0f} us",
         tp["spool get"]["cpuUsPerTask"]["median"] <= 150),
    ]
    counted = results.get("instructions", {})
    if counted and "unavailable" not in counted:
        goals.append(("instructions per task, per intake (callgrind; no hardware counters here)", "reported",
                      "; ".join(f"{name} {fmt(run['instructionsPerTask'])}" for name, run in counted.items()),
                      all((run.get("instructionsPerTask") or 0) > 0 for run in counted.values())))
    g = results["get"]
    get_ratio = g["aws secretsmanager get-secret-value"]["median"] / g["secrets-delegate get"]["median"]
    goals.append(("`get` per call vs the AWS CLI (median)", "well over 50x", f"{get_ratio:.1f}x", get_ratio > 50))
    hit_calls = sum(r["awsCalls"] for r in results["cache"]["cache hit"])
    hits = sum(r["reads"] for r in results["cache"]["cache hit"])
    goals.append((f"AWS calls during {hits:,} read cache hits", "0", str(hit_calls), hit_calls == 0))
    w("| goal | target | measured | met |")
    w("|---|---|---|---|")
    for name, target, measured, met in goals:
        w(f"| {name} | {target} | {measured} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def render_instructions(w) -> None:
    x = results.get("instructions")
    if not x:
        return
    if "unavailable" in x:
        w(f"Instructions per task: not measured ({x['unavailable']}).")
        w("")
        return
    w("Instructions per task, counted by callgrind (`Benchmarks/callgrind.py`: the daemon's user-space "
      "instructions, all threads, over a run after a warm-up; the kernel's side is not counted), the median of "
      f"{REPS} runs, each a delegate of its own, with their range. It moves far less than the CPU time above (the "
      "socket's by a few hundred, the spool's by up to about 1%: which tasks the rescan offers rather than "
      "inotify), and a difference between commits inside the range is none. This VM has no hardware counters "
      "for `perf stat`.")
    w("")
    w("| scenario | tasks per run | instructions per task (median) | range of the runs | results |")
    w("|---|---:|---:|---:|---|")
    for name, run in x.items():
        spread = run.get("perRun") or [run["instructionsPerTask"]]
        w(f"| {name} | {run['tasks']:,} | {fmt(run['instructionsPerTask'])} | {fmt(spread[0])}-{fmt(spread[-1])} | "
          f"{json.dumps(run['statuses'])} |")
    w("")
    socket_run_ = x.get("socket get, 1 conn")
    if socket_run_:
        w("Where the socket's instructions go: the functions that executed the most instructions themselves "
          "(exclusive), per task:")
        w("")
        w("| function | instructions per task |")
        w("|---|---:|")
        for row in socket_run_["top"][:12]:
            w(f"| `{row['function'].replace('|', '/')}` | {fmt(row['perTask'])} |")
        w("")


def table_start(w, title: str, header: str, rule: str) -> None:
    w(title)
    w("")
    w(header)
    w(rule)


def render_get(w) -> None:
    g = results["get"]
    table_start(
        w,
        "### 6. One secret into a shell variable, one process per call (moto_server, auth off; ms per call)",
        "| command | calls | median | p99 | min-max | median vs the AWS CLI | median vs boto3 one-shot | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    )
    aws = g["aws secretsmanager get-secret-value"]["median"]
    boto = g["boto3 one-shot script"]["median"]
    for tool in GET_TOOLS + list(GET_DIAGNOSTICS):
        if tool not in g:
            continue
        x = g[tool]
        name = f"`{tool}`" if tool in GET_TOOLS else tool
        w(f"| {name} | {x['calls']} | {x['median']:.1f} | {x['p99']:.1f} | {x['min']:.1f}-{x['max']:.1f} | "
          f"{aws / x['median']:.1f}x | {boto / x['median']:.1f}x | {x['failed']} |")
    w("")


def latency_over_runs(runs):
    """Median over runs of a latency field, and the range of the runs' p99s, as table text."""
    def median(field):
        return f"{statistics.median([r[field] for r in runs]):.3f}"
    p99s = [r["p99"] for r in runs]
    return median, f"{min(p99s):.3f}-{max(p99s):.3f}"


def render_cache(w) -> None:
    c = results["cache"]
    table_start(
        w,
        "### 7. Read cache hits through the socket, one read at a time (counted nginx; ms)",
        "| connector | reads per run | p50 | p99 | (p99 range) | AWS calls that reached the endpoint | marked `cached` | succeeded |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    )
    for label, title in (("cache hit", "`cache_ttl_seconds = 3600`, after one warm-up read"),
                         ("no cache", "`cache_ttl_seconds = 0`")):
        runs = c[label]
        med, p99_range = latency_over_runs(runs)
        total = lambda f: sum(r[f] for r in runs)  # noqa: E731
        w(f"| {title} | {runs[0]['reads']:,} | {med('p50')} | {med('p99')} | {p99_range} | "
          f"{total('awsCalls'):,} in {total('reads'):,} reads | {total('markedCached'):,} | {total('succeeded'):,} |")
    w(f"\nThe daemon's own counters at the end (warm-up reads included): {json.dumps(c.get('daemonCounters'))}.")
    w("")


def render_sealing(w) -> None:
    s = results["sealing"]
    table_start(
        w,
        "### 8. Sealed results: cost per result (socket getSecretValue, 1 connection, canned nginx)",
        "| results | tasks per run | median tasks/s | min-max | daemon CPU per task, µs (of it system) | min-max | all succeeded |",
        "|---|---:|---:|---:|---:|---:|---|",
    )
    for label in ("unsealed", "sealed"):
        x = s[label]
        ok = all(set(st) <= {"succeeded"} for st in x["statuses"])
        r, cpu = x["rate"], x["cpuUsPerTask"]
        w(f"| {label} | {x['tasks']:,} | {fmt(r['median'])} | {fmt(r['min'])}-{fmt(r['max'])} | {cpu_per_task(x)} | "
          f"{fmt(cpu['min'])}-{fmt(cpu['max'])} | {'yes' if ok else 'NO: ' + json.dumps(x['statuses'])[:200]} |")
    difference = s["sealed"]["cpuUsPerTask"]["median"] - s["unsealed"]["cpuUsPerTask"]["median"]
    slower = s["unsealed"]["rate"]["median"] / s["sealed"]["rate"]["median"]
    w(f"\nSealing costs {difference:.0f} µs of daemon CPU per result (difference of the medians); "
      f"unsealed runs {slower:.2f}x the sealed rate.")
    w("")


def render_credsock(w) -> None:
    c = results["credsock"]
    table_start(
        w,
        "### 10. The credentials socket: one `LoadCredential=` request as systemd's helper makes it (bind, connect, read to EOF; canned nginx; ms)",
        "| connector | requests per run | p50 | p90 | p99 | (p99 range) | served |",
        "|---|---:|---:|---:|---:|---|---:|",
    )
    for label, title in (("no cache", "`cache_ttl_seconds = 0` (a GetSecretValue call each)"),
                         ("cache hit", "`cache_ttl_seconds = 3600`, after one warm-up request")):
        runs = c[label]
        med, p99_range = latency_over_runs(runs)
        w(f"| {title} | {runs[0]['requests']:,} | {med('p50')} | {med('p90')} | {med('p99')} | {p99_range} | "
          f"{sum(r['served'] for r in runs):,} of {sum(r['requests'] for r in runs):,} |")
    w("")


def render_sqs(w) -> None:
    q = results["sqs"]
    table_start(
        w,
        "### 9. SQS: tasks through a queue on moto_server (auth off), the delegate's SQS intake and a boto3 SQS worker",
        "| worker, mix | tasks per run | median tasks/s | min-max | vs best boto3 worker (same mix) | SQS requests per task | "
        "of them, per task | Secrets Manager calls per task | worker CPU per task, µs (of it system) | moto CPU per task, µs | "
        "HTTP errors | duplicate results | all succeeded | deletes answered OK | task messages left |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|",
    )
    for name, worker, mix in SQS_SCENARIOS:
        x = q[name]
        best = max(q[n]["median"] for n, wk, m in SQS_SCENARIOS if wk != "delegate" and m == mix)
        per = x["requestsPerTask"]
        parts = ", ".join(f"{short} {per['AmazonSQS.' + action]:.2f}" for action, short in SQS_ACTIONS
                          if per.get("AmazonSQS." + action))
        ok = all(set(st) <= {"succeeded"} for st in x["statuses"])
        verdict = "yes" if ok else "NO: " + json.dumps(x["statuses"])[:200]
        w(f"| {name} | {x['tasks']:,} | {fmt(x['median'])} | {fmt(x['min'])}-{fmt(x['max'])} | {x['median'] / best:.2f}x | "
          f"{x['sqsRequestsPerTask']['median']:.2f} | {parts} | {x['secretsManagerCallsPerTask']['median']:.2f} | "
          f"{cpu_per_task(x)} | {fmt(x['motoCpuUsPerTask']['median'])} | {x['errorResponses']} | "
          f"{x['duplicateResults']} | {verdict} | {x['deletesAnswered']:,} of {x['tasksInAllRuns']:,} | "
          f"{x['taskMessagesLeft']} |")
    w("\nRequests: counted by a counting nginx proxy in front of moto (the `X-Amz-Target` of every request the worker "
      "made from its start to its last result; the harness's own preload and result draining go to moto directly); "
      "HTTP errors: those of them answered with a status of 400 or more, over all runs. "
      "Worker CPU: `/proc/PID/stat` over the same interval (the delegate's start included; the boto3 worker's "
      "interpreter start, imports and warm-up calls not); moto CPU likewise. Long polling "
      f"{SQS_WAIT_SECONDS} s for both. Duplicate results: a task run twice because two concurrent receives got the "
      "same message (moto's ReceiveMessage is not atomic; the delegate has one receive loop per queue). Deletes "
      "answered OK: the worker's own count (the delegate's `status` counter `deleted`; the boto3 worker's "
      "successful deletes), over all runs. Task messages left: visible or leased in the task queue 5 s after the "
      "last result, over all runs; moto's DeleteMessage is not atomic either (concurrent deletes rebuild the "
      "queue's list and can bring a deleted message back), so a message can be left although its delete was "
      "answered OK.")
    w("")


# Sections that render on their own: a BENCH_ONLY run writes these to .bench/BENCHMARKS-partial.md.
PARTIAL_RENDERERS = [("instructions", render_instructions), ("get", render_get), ("cache", render_cache),
                     ("sealing", render_sealing), ("sqs", render_sqs), ("credsock", render_credsock)]


BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def write_report(text: str) -> None:
    path = os.path.join(ROOT, "BENCHMARKS.md")
    if QUICK:
        path = os.path.join(OUT, "BENCHMARKS-quick.md")
    elif os.environ.get("BENCH_DAEMON") or os.environ.get("BENCH_BIN_DIR"):
        # Another binary than this commit's build: its figures are not this commit's.
        path = os.path.join(OUT, "BENCHMARKS-other-binary.md")
    try:
        current = open(os.path.join(ROOT, "BENCHMARKS.md")).read()
    except FileNotFoundError:
        current = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current or END not in current:
        current += f"\n{BEGIN}\n{END}\n"
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + text + END + tail)
    log(f"wrote {path}")


def write_partial_report() -> None:
    """The sections of a BENCH_ONLY run that render on their own, to .bench/BENCHMARKS-partial.md."""
    lines = []
    for key, renderer in PARTIAL_RENDERERS:
        if key in results:
            renderer(lines.append)
    if lines:
        path = os.path.join(OUT, "BENCHMARKS-partial.md")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        log(f"wrote {path}")


def main() -> None:
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    for binary in (DAEMON, SIGBENCH) if not only or "signing" in only else (DAEMON,):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} missing: run scripts/swift-build-release.sh first (make bench does)")
    os.makedirs(OUT, exist_ok=True)
    results["environment"] = environment()
    workdir = tempfile.mkdtemp(prefix="secrets-delegate-bench-")
    started = time.perf_counter()
    nginx = moto = None
    try:
        nginx = servers.Nginx(workdir)
        if not only or "signing" in only:
            bench_signing()
        if not only or "throughput" in only or "latency" in only:
            bench_throughput("nginx", nginx.endpoint, workdir)
        if not only or "instructions" in only:
            bench_instructions(nginx.endpoint, workdir)
        if not only or only & {"moto", "get", "sqs"}:
            moto = servers.Moto(workdir)
            if not only or "moto" in only:
                bench_throughput("moto", moto.endpoint, workdir)
            if not only or "get" in only:
                bench_get(moto, workdir)
            if not only or "sqs" in only:
                bench_sqs(moto, workdir)
            moto.stop()
            moto = None
        if not only or "latency" in only:
            bench_latency(nginx.endpoint, workdir)
        if not only or "footprint" in only:
            bench_footprint(nginx.endpoint, workdir)
        if not only or "credentials" in only:
            bench_credentials(nginx.endpoint, workdir)
        if not only or "cache" in only:
            bench_cache(workdir)
        if not only or "sealing" in only:
            bench_sealing(nginx.endpoint, workdir)
        if not only or "credsock" in only:
            bench_credsock(nginx.endpoint, workdir)
    finally:
        for server in (moto, nginx):
            if server:
                server.stop()
        leftovers = servers.stop_leftovers()
        if leftovers:
            log(f"stopped {len(leftovers)} child(ren) a failure left running: {'; '.join(leftovers)}")
        results["harnessSeconds"] = time.perf_counter() - started
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"results-{stamp}.json", "latest.json"):
            with open(os.path.join(OUT, name), "w") as f:
                json.dump(results, f, indent=2, default=str)
        log(f"raw results in .bench/results-{stamp}.json ({results['harnessSeconds']:.0f} s)")
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
    if not only:
        write_report(render())
    else:
        write_partial_report()


if __name__ == "__main__":
    main()
