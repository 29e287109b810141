#!/usr/bin/env python3
"""The baseline: the worker a user would write instead of running the delegate.

Reads task files (the delegate's task format) from a directory, calls Secrets Manager with
boto3, writes one result file per task (atomically: temp file, then rename) and deletes the
task file. Best settings we know for boto3: one client shared by all threads (clients are
thread-safe), a thread pool, and the client's connection pool raised to the thread count.

Usage: boto3_worker.py TASK_DIR RESULT_DIR ENDPOINT THREADS [durable]
With `durable`, each result is made durable before its task file goes, as a careful user would:
the result file fsynced before the rename, the result directory fsynced after it.
Prints one JSON line: {"tasks": n, "seconds": s, "succeeded": k, "threads": t}.
The time covers listing, reading, calling and writing for every task, not interpreter start
and client creation (the delegate's timings do not include its start either).
"""

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def execute(client, task: dict) -> dict:
    """Runs one task (getSecretValue or putSecretValue) with a boto3 Secrets Manager client and
    returns its result document, as the delegate would write it (a failure is a result too)."""
    prefix = task["connector"].get("secretNamePrefix", "").strip("/")
    params = task.get("params", {})
    secret_id = f"{prefix}/{params['name']}" if prefix else params["name"]
    result = {"id": task["id"], "operation": task["operation"], "connectorId": task["connector"]["id"]}
    try:
        if task["operation"] == "getSecretValue":
            r = client.get_secret_value(SecretId=secret_id)
            result["result"] = {
                "name": params["name"],
                "arn": r["ARN"],
                "versionId": r["VersionId"],
                "versionStages": r.get("VersionStages", []),
                "secretString": r.get("SecretString"),
                "createdDate": r["CreatedDate"].isoformat(),
            }
        elif task["operation"] == "putSecretValue":
            r = client.put_secret_value(
                SecretId=secret_id, SecretString=params["secretString"], ClientRequestToken=task["id"].ljust(32, "0")
            )
            result["result"] = {
                "name": params["name"],
                "arn": r["ARN"],
                "versionId": r["VersionId"],
                "versionStages": r.get("VersionStages", []),
            }
        else:
            raise ValueError("unsupported operation")
        result["status"] = "succeeded"
    except Exception as error:  # the baseline reports failures like the delegate does
        result["status"] = "failed"
        result["error"] = {"code": type(error).__name__, "message": str(error)[:200]}
    return result


def client(service: str, endpoint: str, threads: int):
    """One boto3 client for all threads, its connection pool as large as the thread pool."""
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDBENCHMARK",
        aws_secret_access_key="bench-secret-access-key",
        config=Config(max_pool_connections=threads, retries={"mode": "standard", "max_attempts": 3}),
    )


def main() -> None:
    task_dir, result_dir, endpoint, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    durable = sys.argv[5:] == ["durable"]
    secretsmanager = client("secretsmanager", endpoint, threads)
    # One call first so connection setup and botocore's lazy loading are not timed.
    try:
        secretsmanager.get_secret_value(SecretId="bench/warmup")
    except Exception:
        pass

    def run(name: str) -> bool:
        path = os.path.join(task_dir, name)
        with open(path, "rb") as f:
            task = json.load(f)
        result = execute(secretsmanager, task)
        temporary = os.path.join(result_dir, "." + task["id"] + ".tmp")
        with open(temporary, "w") as f:
            json.dump(result, f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.rename(temporary, os.path.join(result_dir, task["id"] + ".json"))
        if durable:
            directory = os.open(result_dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        os.unlink(path)
        return result["status"] == "succeeded"

    start = time.perf_counter()
    names = [n for n in os.listdir(task_dir) if n.endswith(".json")]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(run, names))
    seconds = time.perf_counter() - start
    print(json.dumps({"tasks": len(names), "seconds": seconds, "succeeded": sum(outcomes), "threads": threads}))


if __name__ == "__main__":
    main()
