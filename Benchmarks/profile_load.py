#!/usr/bin/env python3
"""Keeps a release delegate busy against the canned nginx endpoint so a profiler can attach.

Usage: profile_load.py SECONDS [socket|spool]; prints `PID <pid>` once the daemon is READY,
then feeds it tasks (socket: pipelined batches of 5,000 on 4 connections; spool: batches of
1,000 renamed into new/) until SECONDS have passed, and prints the tasks/s it saw.
Used by scripts/bench-profile.sh; not part of `make bench`.
"""

import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402
from delegate import Delegate, pipelined, task_bytes  # noqa: E402
from harness import DAEMON, spool_run  # noqa: E402

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15
intake = sys.argv[2] if len(sys.argv) > 2 else "socket"
# A SIGTERM (the profiler's side giving up) runs the clean-up below, as an exception would.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
workdir = tempfile.mkdtemp(prefix="secrets-delegate-profile-")
nginx = servers.Nginx(workdir)
d = Delegate(DAEMON, workdir, "profile", nginx.endpoint)
try:
    d.start()
    print(f"PID {d.pid}", flush=True)
    time.sleep(1)
    start = time.perf_counter()
    tasks = 0
    batch = 0
    while time.perf_counter() - start < seconds:
        if intake == "socket":
            pipelined(d.socket_path, [task_bytes(f"p{batch}-{i}", False) for i in range(5000)], 4)
            tasks += 5000
        else:
            spool_run(d, 1000, False, f"p{batch}")
            tasks += 1000
        batch += 1
    elapsed = time.perf_counter() - start
    print(f"{tasks} tasks in {elapsed:.1f} s: {tasks / elapsed:.0f} tasks/s; daemon CPU {d.cpu_ticks() / 100:.1f} s", flush=True)
finally:
    # Also when the profiler's side gave up and killed this: no daemon, nginx or directory left.
    d.stop()
    nginx.stop()
    shutil.rmtree(workdir, ignore_errors=True)
