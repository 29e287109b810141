#!/usr/bin/env python3
"""Writes the daemon's symbol order file: the functions it runs at start and idle, then per task.

Usage: order_file.py BINARY OUT

BINARY is a release `secrets-delegated` with its symbol table (debug sections may be stripped:
valgrind cannot read the toolchain's). It runs once under callgrind against the canned nginx
endpoint: start, READY and 3 s idle (first dump), then socket and spool tasks, reads and writes,
a sealed result and a status query (second dump), then SIGTERM. OUT lists the functions of the
first dump, then those only the second ran (each group in the dump's order, not the order they
first ran: what matters is that they sit together); `scripts/swift-build-release.sh` hands it to
lld (`--symbol-ordering-file`), which places those functions first in `.text`, in that order.
The functions are found by the addresses of the instructions that ran, mapped to the binary's
symbol table (`nm`), not by the names callgrind gives them.

Why: the kernel maps a file's pages around each page fault (64 KiB), so a daemon whose start-up
code is spread over 19 MB of `.text` keeps most of it resident while idle. Packed together, the
code it runs takes a few hundred pages. Functions that no longer exist are skipped by lld, so a
stale file costs memory, never correctness; regenerate it with `scripts/order-file.sh`.
"""

import base64
import bisect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402
from delegate import Delegate, pipelined, task_bytes  # noqa: E402
from harness import spool_run  # noqa: E402


def executed_addresses(dump: str, binary_name: str) -> list:
    """Addresses of the instructions of `binary_name` that ran in a callgrind dump (made with
    `--dump-instr=yes`), in file order. Addresses, not callgrind's function names: valgrind names
    some code after a neighbouring symbol, and those functions would be missing from the order."""
    objects = {}
    current_object = None
    last = 0
    addresses, seen = [], set()
    with open(dump, errors="replace") as f:
        for line in f:
            if line.startswith(("ob=", "cob=")):
                # Callgrind names each object once as "(id) name", then by "(id)" alone.
                match = re.match(r"c?ob=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
                if match and match.group(2) is not None:
                    objects[match.group(1)] = match.group(2)
                if line.startswith("ob=") and match:
                    current_object = objects.get(match.group(1))
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            # A cost line starts with its instruction's address: absolute (0x...), relative to
            # the previous line's (+n, -n), or the same (*).
            token = line.split(None, 1)[0]
            if token.startswith("0x"):
                address = int(token, 16)
            elif token[0] == "+":
                address = last + int(token[1:])
            elif token[0] == "-":
                address = last - int(token[1:])
            elif token == "*":
                address = last
            else:
                continue
            last = address
            if current_object and current_object.endswith("/" + binary_name) and address not in seen:
                seen.add(address)
                addresses.append(address)
    return addresses


def symbol_table(binary: str) -> list:
    """(address, name) of the binary's functions, by address."""
    listing = subprocess.run(["nm", "-n", "--defined-only", binary], capture_output=True, text=True, check=True)
    table = []
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    return table


def exercise(binary: str, dump: str, workdir: str) -> None:
    nginx = servers.Nginx(workdir)
    wrapper = ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=yes", f"--callgrind-out-file={dump}"]
    d = Delegate(binary, workdir, "order", nginx.endpoint, wrapper=wrapper, ready_timeout=300)
    try:
        d.start()
        time.sleep(3)
        subprocess.run(["callgrind_control", "--dump=idle", str(d.pid)], check=True, capture_output=True)
        pipelined(d.socket_path, [task_bytes(f"get-{i}", False) for i in range(40)], 2)
        pipelined(d.socket_path, [task_bytes(f"put-{i}", True) for i in range(10)], 1)
        public_key = base64.b64encode(bytes(range(1, 33))).decode()
        pipelined(d.socket_path, [task_bytes("sealed", False, seal_to=public_key)], 1)
        spool_run(d, 20, True, "spool")
        pipelined(d.socket_path, [b'{"control":"status"}'], 1)
        time.sleep(1)
        subprocess.run(["callgrind_control", "--dump=tasks", str(d.pid)], check=True, capture_output=True)
    finally:
        d.stop()
        nginx.stop()


def main() -> None:
    binary, out = sys.argv[1], sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="secrets-delegate-order-")
    dump = os.path.join(workdir, "callgrind.out")
    exercise(binary, dump, workdir)
    dumps = sorted((p for p in os.listdir(workdir) if p.startswith("callgrind.out.")), key=lambda p: int(p.rsplit(".", 1)[1]))
    if len(dumps) < 2:
        sys.exit(f"order_file: expected the idle and tasks dumps in {workdir}, found {dumps}")
    table = symbol_table(binary)
    starts = [address for address, _ in table]
    order, seen = [], set()
    counts = []
    for name in dumps[:2]:
        for address in executed_addresses(os.path.join(workdir, name), os.path.basename(binary)):
            index = bisect.bisect_right(starts, address) - 1
            if index >= 0 and table[index][1] not in seen:
                seen.add(table[index][1])
                order.append(table[index][1])
        counts.append(len(order))
    with open(out, "w") as f:
        f.write("# Generated by scripts/order-file.sh (Benchmarks/order_file.py): the functions the\n")
        f.write("# daemon runs from start to idle, then those its tasks add. lld places them first in\n")
        f.write("# .text, in this order (--symbol-ordering-file); names it no longer finds are skipped.\n")
        f.write("\n".join(order) + "\n")
    print(f"order_file: {len(order)} functions ({counts[0]} by idle) -> {out}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
