"""The endpoints the benchmarks run against: moto_server, a canned nginx, a counting IMDS/STS.

Every server runs as a child of the harness on a loopback port with private files under the
run's temporary directory; nothing here touches a system service.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/db-AbCdEf"
GET_BODY = json.dumps(
    {
        "ARN": ARN,
        "Name": "bench/db",
        "VersionId": "11111111-2222-3333-4444-555555555555",
        "SecretString": "app:s3cr3t",  # no quotes or backslashes: nginx unescapes its strings
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": 1795262400.123,
    },
    separators=(",", ":"),
)
PUT_BODY = json.dumps(
    {
        "ARN": ARN,
        "Name": "bench/db",
        "VersionId": "66666666-7777-8888-9999-000000000000",
        "VersionStages": ["AWSCURRENT"],
    },
    separators=(",", ":"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# Every child a run started (servers and delegates), so that the harness's last step can stop
# those a failure left running: Python does not stop its children when it exits, and a leftover
# daemon or server would skew the next run on this 2-core machine.
STARTED = []


def track(process: subprocess.Popen) -> subprocess.Popen:
    STARTED.append(process)
    return process


def stop_leftovers() -> list:
    """Stops (SIGTERM, then SIGKILL after 10 s) every tracked child still running; their
    command lines, for the run's log."""
    left = [p for p in STARTED if p.poll() is None]
    for process in left:
        process.send_signal(signal.SIGTERM)
    for process in left:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    STARTED.clear()
    return [" ".join(map(str, p.args)) for p in left]


class Child:
    """A child process stopped with SIGTERM (then SIGKILL) by its own pid."""

    def __init__(self, args, env=None, log=None, cwd=None):
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        self.process = track(subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Moto:
    """moto_server with authentication off (INITIAL_NO_AUTH_ACTION_COUNT unset): it parses the
    signed requests but does not verify them, the fastest moto there is."""

    def __init__(self, workdir: str):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        self.child = Child(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)], env=env, log=os.path.join(workdir, "moto.log")
        )
        # moto's first import on a cold machine can take most of a minute (the booted tier
        # allows 60 s too).
        wait_http(self.endpoint + "/moto-api/", timeout=60.0)
        import boto3

        self.client = boto3.client(
            "secretsmanager",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="AKIDBENCHMARK",
            aws_secret_access_key="bench-secret-access-key",
        )
        self.client.create_secret(Name="bench/db", SecretString='{"user":"app","password":"s3cr3t"}')

    def create_secret(self, name: str, value: str) -> None:
        self.client.create_secret(Name=name, SecretString=value)

    def stop(self) -> None:
        self.child.stop()


# What every nginx here shares: one worker in the foreground, private files, long keep-alive.
NGINX_FRAME = """
worker_processes 1;
daemon off;
user root root;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
"""

NGINX_CONF = NGINX_FRAME + """    {access_log}
    map $http_x_amz_target $canned_body {{
        default '';
        "secretsmanager.GetSecretValue" '{get}';
        "secretsmanager.PutSecretValue" '{put}';
    }}
    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{
            default_type application/x-amz-json-1.1;
            add_header x-amzn-RequestId $request_id always;
            if ($http_x_amz_target !~ "^secretsmanager\\.(GetSecretValue|PutSecretValue)$") {{
                return 400 '{{"__type":"UnknownOperationException","message":"not canned"}}';
            }}
            return 200 $canned_body;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx on a loopback port: canned GetSecretValue / PutSecretValue answers chosen
    by X-Amz-Target. One worker (the machine has two cores for everything).

    `counted`: an instance of its own that logs every request (unbuffered access log), so
    `requests()` tells how many calls reached the endpoint; the throughput runs use the one
    without a log."""

    template = NGINX_CONF

    def __init__(self, workdir: str, name: str = "nginx", counted: bool = False, **fields):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        directory = os.path.join(workdir, name)
        os.makedirs(directory, exist_ok=True)
        self.access_log = os.path.join(directory, "access.log") if counted else None
        access_log = f"access_log {self.access_log};" if counted else "access_log off;"
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self.template.format(dir=directory, port=self.port, get=GET_BODY, put=PUT_BODY,
                                         access_log=access_log, **fields))
        self.child = Child([binary, "-c", conf, "-p", directory], log=os.path.join(directory, "stdout.log"))
        wait_http(self.endpoint + "/")

    def lines(self) -> list:
        """The access log's lines so far (a counted instance only; wait_http's probe included)."""
        try:
            with open(self.access_log, "rb") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def requests(self) -> int:
        """Requests logged so far (a counted instance only; wait_http's probe included)."""
        return len(self.lines())

    def stop(self) -> None:
        self.child.stop()


COUNTING_PROXY_CONF = NGINX_FRAME + """    log_format target '$http_x_amz_target $status';
    access_log {dir}/access.log target;
    upstream upstream_server {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{
            proxy_pass http://upstream_server;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


class CountingProxy(Nginx):
    """Debian's nginx as a reverse proxy in front of `upstream` (host:port), one worker, keeping
    connections to it alive and the Host header as sent (signed), logging each request's
    `X-Amz-Target` and status (unbuffered) so `counts()` tells what reached the upstream, by action."""

    template = COUNTING_PROXY_CONF

    def __init__(self, workdir: str, upstream: str, name: str = "counting-proxy"):
        super().__init__(workdir, name, counted=True, upstream=upstream)

    def counts(self) -> dict:
        """Requests logged so far by X-Amz-Target (`-` for none: the start-up probe), those
        answered with an HTTP error status under `<target> (error)`."""
        out = {}
        for line in self.lines():
            target, _, status = line.decode(errors="replace").rpartition(" ")
            key = target + (" (error)" if status.isdigit() and int(status) >= 400 else "")
            out[key] = out.get(key, 0) + 1
        return out


class CountingIdentityServer:
    """IMDSv2 (token, role name, role credentials) and STS AssumeRole, counting every request.

    Hands out dummy keys valid for six hours (the canned endpoint checks no signatures)."""

    def __init__(self):
        self.counts = {"imdsToken": 0, "imdsRole": 0, "imdsCredentials": 0, "stsAssumeRole": 0, "other": 0}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def count(self, kind):
                with server.lock:
                    server.counts[kind] += 1

            def reply(self, status, body, content_type="text/plain", headers=()):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                if self.path == "/latest/api/token":
                    self.count("imdsToken")
                    ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                    self.reply(200, "bench-imds-token", headers=[("X-aws-ec2-metadata-token-ttl-seconds", ttl)])
                else:
                    self.count("other")
                    self.reply(404, "")

            def do_GET(self):
                expiration = (datetime.now(timezone.utc) + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
                if self.path == "/latest/meta-data/iam/security-credentials/":
                    self.count("imdsRole")
                    self.reply(200, "bench-role")
                elif self.path == "/latest/meta-data/iam/security-credentials/bench-role":
                    self.count("imdsCredentials")
                    document = {
                        "Code": "Success",
                        "Type": "AWS-HMAC",
                        "AccessKeyId": "ASIABENCHINSTANCE",
                        "SecretAccessKey": "bench-instance-secret",
                        "Token": "bench-instance-token",
                        "Expiration": expiration,
                        "LastUpdated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                    self.reply(200, json.dumps(document), "application/json")
                else:
                    self.count("other")
                    self.reply(404, "")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                if "Action=AssumeRole" in body:
                    self.count("stsAssumeRole")
                    expiration = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    xml = (
                        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
                        "<Credentials><AccessKeyId>ASIABENCHROLE</AccessKeyId>"
                        "<SecretAccessKey>bench-role-secret</SecretAccessKey>"
                        "<SessionToken>bench-role-token</SessionToken>"
                        f"<Expiration>{expiration}</Expiration></Credentials>"
                        "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/bench/s</Arn>"
                        "<AssumedRoleId>AROABENCH:s</AssumedRoleId></AssumedRoleUser>"
                        "</AssumeRoleResult><ResponseMetadata><RequestId>bench-sts</RequestId>"
                        "</ResponseMetadata></AssumeRoleResponse>"
                    )
                    self.reply(200, xml, "text/xml")
                else:
                    self.count("other")
                    self.reply(400, "")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.counts)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
