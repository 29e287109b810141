#!/usr/bin/env python3
"""A loopback proxy in front of moto_server that holds GetRandomPassword calls for a while.

The booted tier points the delegate's Secrets Manager endpoint here so that a task can be in
flight while `systemctl stop` runs. Every request is forwarded unchanged (the Host header stays
as the delegate signed it); only `X-Amz-Target: secretsmanager.GetRandomPassword` waits
DELAY seconds first. While the file DOWN_FLAG exists (the probe creates it inside the container,
whose root is a directory here), SQS calls (`X-Amz-Target: AmazonSQS.*`) are answered 503 as an
SQS endpoint that is down would, without reaching moto. Prints its port, then serves until killed.
Usage: slow_proxy.py UPSTREAM_PORT DELAY DOWN_FLAG
"""
import http.client
import http.server
import os
import socketserver
import sys
import time

UPSTREAM = int(sys.argv[1])
DELAY = float(sys.argv[2])
DOWN_FLAG = sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("X-Amz-Target", "").startswith("AmazonSQS.") and os.path.exists(DOWN_FLAG):
            data = b'{"__type":"com.amazonaws.sqs#ServiceUnavailable","message":"the boot tier took SQS down"}'
            self.send_response(503)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.headers.get("X-Amz-Target", "").endswith(".GetRandomPassword"):
            time.sleep(DELAY)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        upstream.request("POST", self.path, body=body, headers=dict(self.headers.items()))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
