"""Instructions per task, counted by callgrind: the daemon's user-space instructions over a run of
tasks, all threads, divided by the tasks.

Why: the CPU time per task moves with this shared machine's noise (the same binary measured
94 µs and 216 µs per socket task on different days), and this VM has no hardware counters for
`perf stat -e instructions`. Callgrind counts the instructions the daemon executes, so the figure
stays put from run to run and shows what a change to the code did. It does not count the kernel's
side (system calls, futex wakes), and an instruction is not a fixed time.

How: the daemon (its debug sections stripped: valgrind cannot read the toolchain's) starts under
`valgrind --tool=callgrind`, runs a warm-up of tasks (libcurl opens at the first), then the
counters are zeroed (`callgrind_control --zero`), the measured tasks run, and the counters are
dumped (`--dump`). Also returned: the functions that executed the most instructions themselves,
per task, with names demangled (`swift demangle`), as the profile of where the instructions go.
The dump itself is kept as `.bench/callgrind-<name>.out`, for `callgrind_annotate --inclusive=yes`
or `--tree=caller` (who calls what, with the instructions of each call).
"""

import collections
import os
import re
import shutil
import subprocess
import time

from delegate import Delegate


def available() -> bool:
    return all(shutil.which(tool) for tool in ("valgrind", "callgrind_control", "objcopy"))


def count(binary: str, endpoint: str, workdir: str, name: str, tasks: int, run, warm_up) -> dict:
    """Runs `warm_up(d)`, then counts the instructions of `run(d)` (which runs `tasks` tasks).
    `name` must be new in `workdir` (its dump is found by it); the dump is kept in `.bench/` as
    `callgrind-<name>.out`."""
    stripped = os.path.join(workdir, f"{name}-secrets-delegated")
    subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
    dump = os.path.join(workdir, f"{name}.callgrind")
    wrapper = ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={dump}"]
    d = Delegate(stripped, workdir, name, endpoint, wrapper=wrapper, ready_timeout=300)
    try:
        d.start()
        warm_up(d)
        time.sleep(2)
        subprocess.run(["callgrind_control", "--zero", str(d.pid)], check=True, capture_output=True)
        out = run(d)
        subprocess.run(["callgrind_control", "--dump=measured", str(d.pid)], check=True, capture_output=True)
    finally:
        d.stop()
    dumps = sorted(p for p in os.listdir(workdir) if p.startswith(f"{name}.callgrind."))
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump for {name}")
    total, by_function = self_costs(os.path.join(workdir, dumps[0]))
    kept = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".bench")
    os.makedirs(kept, exist_ok=True)
    shutil.copyfile(os.path.join(workdir, dumps[0]), os.path.join(kept, f"callgrind-{name}.out"))
    top = [{"function": function, "perTask": cost / tasks} for function, cost in by_function.most_common(15)]
    os.remove(stripped)
    return {
        "tasks": tasks,
        "instructions": total,
        "instructionsPerTask": total / tasks,
        "top": top,
        "statuses": out.get("statuses"),
    }


def self_costs(dump: str):
    """The dump's total instructions and each function's own (exclusive) instructions, by
    demangled name. In the dump, a cost line after `calls=` is the call's inclusive cost and
    belongs to the callee, so it is skipped."""
    names = {}
    objects = {}
    object_of = {}
    costs = collections.Counter()
    current = None
    current_object = None
    after_call = False
    total = 0
    with open(dump, errors="replace") as f:
        for line in f:
            if line.startswith("summary:"):
                total = int(line.split()[1])
                continue
            match = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if match:
                kind, number, name = match.groups()
                if name is not None:
                    objects[number] = os.path.basename(name)
                if kind == "ob":
                    current_object = objects.get(number)
                continue
            match = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if match:
                kind, number, name = match.groups()
                if name is not None:
                    names[number] = name
                if kind == "fn":
                    current = number
                    object_of.setdefault(number, current_object)
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if line and (line[0].isdigit() or line[0] in "+-*"):
                if after_call:
                    after_call = False
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    costs[current] += int(parts[1])
    numbers = list(costs)
    mangled = "\n".join(names.get(number, "?") for number in numbers)
    demangled = mangled.split("\n")
    if shutil.which("swift"):
        result = subprocess.run(["swift", "demangle", "--simplified"], input=mangled, capture_output=True, text=True)
        if result.returncode == 0 and len(result.stdout.split("\n")) >= len(numbers):
            demangled = result.stdout.split("\n")
    by_function = collections.Counter()
    for index, number in enumerate(numbers):
        name = demangled[index][:120]
        if name.startswith("0x") and object_of.get(number):
            name = f"{object_of[number]} {name}"  # a library's function without a symbol
        by_function[name] += costs[number]
    return total, by_function
