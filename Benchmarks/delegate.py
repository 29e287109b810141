"""Running the delegate (release binary) for a benchmark, and talking to its spool and socket."""

import ctypes
import json
import os
import select
import shlex
import signal
import socket
import struct
import subprocess
import threading
import time

import servers

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
UNIT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "systemd", "secrets-delegate.service")


def unit_environment() -> dict:
    """The `Environment=` settings of the shipped unit, so the benchmarks run the daemon with the
    environment systemd gives it. Quoted values are unquoted as systemd does; a `%` specifier is
    refused (it would need systemd to expand it)."""
    environment = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("Environment="):
                continue
            value = line[len("Environment="):]
            if "%" in value:
                raise SystemExit(f"{UNIT}: {line}: % specifiers are not supported by the benchmark harness")
            for assignment in shlex.split(value):
                name, _, setting = assignment.partition("=")
                environment[name] = setting
    return environment


def connector(kind: str) -> dict:
    """The connector of every benchmark task; `kind` picks the credentials."""
    credentials = {
        "accessKey": {"type": "accessKey", "accessKeyId": "AKIDBENCHMARK", "secretAccessKeyRef": "bench-secret"},
        "instanceRole": {"type": "instanceRole"},
        "assumeRole": {"type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/bench"},
    }[kind]
    return {"id": f"bench-{kind}", "region": "us-east-1", "secretNamePrefix": "bench", "credentials": credentials}


def task(task_id: str, write: bool, kind: str = "accessKey") -> dict:
    if write:
        return {
            "id": task_id,
            "connector": connector(kind),
            "operation": "putSecretValue",
            "params": {"name": "db", "secretString": '{"user":"app","password":"n3w"}'},
        }
    return {"id": task_id, "connector": connector(kind), "operation": "getSecretValue", "params": {"name": "db"}}


def named_connector(connector_id: str, cache_ttl_seconds: int = 0) -> str:
    """A `[connectors.<id>]` table for Delegate(extra=...): the benchmark connector, named (so
    `get` and the read cache can use it), reading `bench/<name>` with the access key."""
    return f"""
[connectors.{connector_id}]
region = "us-east-1"
secret_name_prefix = "bench"
credentials = {{ type = "accessKey", access_key_id = "AKIDBENCHMARK", secret_access_key_ref = "bench-secret" }}
cache_ttl_seconds = {cache_ttl_seconds}
"""


def named_get_bytes(task_id: str, connector_id: str) -> bytes:
    """A getSecretValue task naming a configured connector."""
    document = {"id": task_id, "connector": connector_id, "operation": "getSecretValue", "params": {"name": "db"}}
    return json.dumps(document, separators=(",", ":")).encode()


def task_bytes(task_id: str, write: bool, kind: str = "accessKey", seal_to: str = None) -> bytes:
    """One task line; `seal_to` (base64 X25519 public key) asks for a sealed result."""
    document = task(task_id, write, kind)
    if seal_to:
        document["sealTo"] = seal_to
    return json.dumps(document, separators=(",", ":")).encode()


def cpu_times(pid: int) -> tuple:
    """A process's (utime, stime) in clock ticks, from /proc/PID/stat (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def is_write(i: int, mix: bool) -> bool:
    """The 90/10 mix: every tenth task a putSecretValue."""
    return mix and i % 10 == 9


class Delegate:
    """One `secrets-delegate run` with its own spool, socket and notify socket."""

    def __init__(self, binary, workdir, name, endpoint, concurrency=16, imds=None, sts=None, spool=True, log=True, wrapper=(), extra="",
                 queue_extra="", ready_timeout=30):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o750)
        self.spool = os.path.join(self.dir, "spool")
        self.socket_path = os.path.join(self.dir, "delegate.sock")
        credentials = os.path.join(self.dir, "credentials")
        os.makedirs(credentials, exist_ok=True)
        os.chmod(credentials, 0o700)
        secret = os.path.join(credentials, "bench-secret")
        with open(secret, "w") as f:
            f.write("bench-secret-access-key")
        os.chmod(secret, 0o600)
        identity = '["imds"]' if imds else '["environment"]'
        self.config = os.path.join(self.dir, "delegate.toml")
        with open(self.config, "w") as f:
            f.write(
                f"""[delegate]
name = "bench"
tags = ["bench"]
concurrency = {concurrency}

[queue]
spool_dir = "{self.spool if spool else ''}"
socket_path = "{self.socket_path}"
socket_allowed_groups = []
rescan_interval_seconds = 5
{queue_extra}

[aws]
secretsmanager_endpoint = "{endpoint}"
sts_endpoint = "{sts or endpoint}"
imds_endpoint = "{imds or 'http://127.0.0.1:9'}"

[identity]
sources = {identity}

[credentials]
directory = "{credentials}"
{extra}"""
            )
        # The delegate refuses a configuration others may write (umask 002 would make it so).
        os.chmod(self.config, 0o600)
        self.binary = binary
        self.wrapper = list(wrapper)
        self.ready_timeout = ready_timeout
        self.log_path = os.path.join(self.dir, "delegate.log") if log else os.devnull
        self.process = None
        self.stop_timed_out = False
        self.notify = None
        self.started_at = None

    def start(self) -> float:
        """Starts the daemon; returns seconds from spawn to READY=1 on NOTIFY_SOCKET."""
        notify_path = os.path.join(self.dir, "notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(notify_path)
        env = dict(os.environ)
        env.update(unit_environment())
        env["NOTIFY_SOCKET"] = notify_path
        env["AWS_ACCESS_KEY_ID"] = "AKIDBENCHMARK"
        env["AWS_SECRET_ACCESS_KEY"] = "bench-secret-access-key"
        env.pop("CREDENTIALS_DIRECTORY", None)
        self.log = open(self.log_path, "ab")
        self.started_at = time.perf_counter()
        self.process = servers.track(subprocess.Popen(
            self.wrapper + [self.binary, "run", "--config", self.config], env=env, stdout=self.log, stderr=self.log
        ))
        try:
            ready = self._wait_ready()
        except BaseException:
            # Not left running: the caller never got a daemon to stop.
            self.process.kill()
            self.process.wait()
            raise
        # Keep reading, as systemd does: sd_notify(3) blocks once the socket's queue is full
        # (net.unix.max_dgram_qlen datagrams), and the daemon sends STATUS= every 2 s.
        self.notify.settimeout(None)
        threading.Thread(target=self._drain_notify, args=(self.notify,), daemon=True).start()
        return ready

    def _wait_ready(self) -> float:
        """Seconds from the start to READY=1; a daemon that exits first, or does not say READY
        within `ready_timeout`, fails the run at once, naming its log."""
        deadline = self.started_at + self.ready_timeout
        while True:
            self.notify.settimeout(max(0.01, min(0.5, deadline - time.perf_counter())))
            try:
                data = self.notify.recv(4096)
            except socket.timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"delegate {self.dir} exited with status {self.process.returncode} before READY=1; see {self.log_path}")
                if time.perf_counter() >= deadline:
                    raise RuntimeError(f"delegate {self.dir} sent no READY=1 within {self.ready_timeout} s; see {self.log_path}")
                continue
            if b"READY=1" in data.split(b"\n"):
                return time.perf_counter() - self.started_at

    def _drain_notify(self, sock) -> None:
        self.notifications = []
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    return
                self.notifications.append((time.perf_counter(), data))
        except OSError:
            return

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process and self.process.poll() is not None and not getattr(self, "stopping", False):
            # Exited before it was asked to: a crash in the run just measured, which must not
            # pass for a good run. (Said once: a second stop finds it stopped.)
            self.stopping = True
            raise RuntimeError(f"delegate {self.dir} exited on its own with status {self.process.returncode}")
        if self.process and self.process.poll() is None:
            self.stopping = True
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.stop_timed_out = True
                try:
                    with open(f"/proc/{self.pid}/stat") as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                    print(f"[bench] delegate {self.dir} did not stop within 30 s of SIGTERM (state {state})", flush=True)
                except OSError:
                    pass
                self.process.kill()
                self.process.wait()
        if self.notify:
            try:
                self.notify.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.notify.close()
            self.notify = None

    # /proc

    def status_kb(self, field: str) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def pss_kb(self) -> int:
        with open(f"/proc/{self.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        return 0

    def cpu_ticks(self) -> int:
        return sum(self.cpu_times())

    def cpu_times(self) -> tuple:
        """(utime, stime) in clock ticks."""
        return cpu_times(self.pid)

    def context_switches(self) -> int:
        total = 0
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))

    # spool

    def done_dir(self) -> str:
        return os.path.join(self.spool, "done")

    def count_done(self) -> int:
        n = 0
        with os.scandir(self.done_dir()) as it:
            for entry in it:
                if not entry.name.startswith("."):
                    n += 1
        return n

    def count_spooled(self) -> int:
        """Task files not yet deleted: waiting in new/ or claimed in cur/<name>/."""
        n = 0
        for directory in (os.path.join(self.spool, "new"), os.path.join(self.spool, "cur", "bench")):
            try:
                with os.scandir(directory) as it:
                    n += sum(1 for entry in it if not entry.name.startswith("."))
            except FileNotFoundError:
                pass
        return n

    def collect_done(self) -> dict:
        """Reads and deletes every result in done/; returns counts by status."""
        statuses = {}
        directory = self.done_dir()
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name.startswith("."):
                continue
            with open(path, "rb") as f:
                document = json.loads(f.read())
            status = document.get("status", "?")
            if status != "succeeded":
                status += ":" + document.get("error", {}).get("code", "?")
            statuses[status] = statuses.get(status, 0) + 1
            os.unlink(path)
        return statuses


# inotify through libc (no third-party module needed)

IN_MOVED_TO = 0x00000080
IN_CLOSE_WRITE = 0x00000008
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


class Inotify:
    """Watches one directory for files renamed into it (the delegate writes results atomically)."""

    def __init__(self, directory: str):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, directory.encode(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.poll = select.poll()
        self.poll.register(self.fd, select.POLLIN)

    def read(self, timeout_ms: int):
        """Names that arrived, with the time they were read."""
        if not self.poll.poll(timeout_ms):
            return []
        now = time.perf_counter()
        names = []
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16 : offset + 16 + length].rstrip(b"\0").decode()
                offset += 16 + length
                if not name.startswith("."):
                    names.append(name)
            now = time.perf_counter()
        return [(name, now) for name in names]

    def close(self):
        os.close(self.fd)


class SocketClient:
    """One connection to the delegate's socket; newline-delimited JSON."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def lines(self):
        """Yields (line, time read) forever."""
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return
            now = time.perf_counter()
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\n")
            for line in complete:
                yield line, now

    def close(self):
        self.sock.close()


def pipelined(path: str, payloads: list, connections: int) -> dict:
    """Sends `payloads` (one line each) over `connections` connections at once, each connection
    writing from its own thread while another reads; returns seconds and statuses."""
    shards = [payloads[i::connections] for i in range(connections)]
    clients = [SocketClient(path) for _ in range(connections)]
    results = [None] * connections

    def writer(client, shard):
        client.send(b"".join(p + b"\n" for p in shard))

    def reader(index, client, count):
        statuses = {}
        seen = 0
        for line, _ in client.lines():
            if b'"status":"succeeded"' in line:
                key = "succeeded"
            else:
                try:
                    document = json.loads(line)
                    key = document.get("status", "?") + ":" + document.get("error", {}).get("code", "?")
                except ValueError:
                    key = "unparsable"
            statuses[key] = statuses.get(key, 0) + 1
            seen += 1
            if seen == count:
                break
        results[index] = statuses

    threads = []
    start = time.perf_counter()
    for i, (client, shard) in enumerate(zip(clients, shards)):
        threads.append(threading.Thread(target=writer, args=(client, shard)))
        threads.append(threading.Thread(target=reader, args=(i, client, len(shard))))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    for client in clients:
        client.close()
    merged = {}
    for statuses in results:
        for key, value in (statuses or {}).items():
            merged[key] = merged.get(key, 0) + value
    # A connection the delegate closed early (it crashed, or dropped it) ends its reader with
    # fewer answers than lines: a run cut short is no run, and its rate would count tasks never
    # answered.
    answered = sum(merged.values())
    if answered != len(payloads):
        raise RuntimeError(f"socket run: {answered} of {len(payloads)} tasks answered ({merged})")
    return {"seconds": seconds, "statuses": merged}
