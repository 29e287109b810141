#!/usr/bin/env python3
"""The SQS baseline: the queue worker a user would write with boto3 instead of the delegate.

Takes tasks (the delegate's task format) from an SQS queue, runs each with boto3 (the same
`execute` as Benchmarks/boto3_worker.py), sends its result to the task's `replyTo` (else the
result queue) with message attribute `taskId`, and deletes the task message only after its
result was sent. Best settings we know for boto3: one SQS client and one Secrets Manager
client shared by all threads (clients are thread-safe), connection pools as large as the
thread pool, and every thread looping on ReceiveMessage with MaxNumberOfMessages = 10 and
long polling (WaitTimeSeconds), then running the messages of its batch one after another.

MODE `single`: per message SendMessage (result) then DeleteMessage (task), as the simplest
worker does. MODE `batch`: per received batch one SendMessageBatch (results, grouped by reply
queue) then one DeleteMessageBatch for the messages whose result was accepted: fewer SQS
requests, at the price of holding each batch's results until the whole batch has run.

Usage: boto3_sqs_worker.py ENDPOINT TASK_QUEUE_URL RESULT_QUEUE_URL THREADS WAIT_SECONDS MODE
Creates the clients and makes one untimed call to each, prints {"ready": true}, then waits
for one line on stdin before it starts receiving (so the harness times the work, not the
interpreter's start). It stops once stdin closes (each thread after its current receive)
and prints one JSON line of counts.
"""

import json
import sys
import threading

from boto3_worker import client, execute


def main() -> None:
    endpoint, queue_url, result_queue_url = sys.argv[1], sys.argv[2], sys.argv[3]
    threads, wait_seconds, mode = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    secretsmanager = client("secretsmanager", endpoint, threads)
    sqs = client("sqs", endpoint, threads)
    # One call each first so connection setup and botocore's lazy loading are not timed.
    try:
        secretsmanager.get_secret_value(SecretId="bench/warmup")
    except Exception:
        pass
    sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()

    stopping = threading.Event()
    lock = threading.Lock()
    counts = {"received": 0, "succeeded": 0, "sendFailures": 0, "deleted": 0, "deleteFailures": 0, "receives": 0}

    def add(key: str, n: int = 1) -> None:
        with lock:
            counts[key] += n

    def result_of(message: dict) -> tuple:
        """(reply queue URL, task id, result body) for one message; a message that is not a
        task gets a rejected result, as the delegate gives it."""
        try:
            task = json.loads(message["Body"])
            result = execute(secretsmanager, task)
        except Exception as error:
            task = {}
            result = {"id": message["MessageId"], "status": "rejected",
                      "error": {"code": "InvalidTask", "message": type(error).__name__}}
        if result["status"] == "succeeded":
            add("succeeded")
        return task.get("replyTo") or result_queue_url, result["id"], json.dumps(result, separators=(",", ":"))

    def attributes(task_id: str) -> dict:
        return {"taskId": {"DataType": "String", "StringValue": task_id}}

    def one_by_one(messages: list) -> None:
        for message in messages:
            reply_to, task_id, body = result_of(message)
            try:
                sqs.send_message(QueueUrl=reply_to, MessageBody=body, MessageAttributes=attributes(task_id))
            except Exception:
                add("sendFailures")  # left on the queue: it comes back after its visibility timeout
                continue
            try:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                add("deleted")
            except Exception:
                add("deleteFailures")

    def batched(messages: list) -> None:
        by_queue = {}
        for index, message in enumerate(messages):
            reply_to, task_id, body = result_of(message)
            by_queue.setdefault(reply_to, []).append(
                {"Id": str(index), "MessageBody": body, "MessageAttributes": attributes(task_id)})
        sent = set()
        for reply_to, entries in by_queue.items():
            try:
                answer = sqs.send_message_batch(QueueUrl=reply_to, Entries=entries)
                sent.update(int(entry["Id"]) for entry in answer.get("Successful", []))
            except Exception:
                pass
        add("sendFailures", len(messages) - len(sent))
        if not sent:
            return
        entries = [{"Id": str(i), "ReceiptHandle": messages[i]["ReceiptHandle"]} for i in sorted(sent)]
        try:
            answer = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            add("deleted", len(answer.get("Successful", [])))
            add("deleteFailures", len(answer.get("Failed", [])))
        except Exception:
            add("deleteFailures", len(entries))

    handle = batched if mode == "batch" else one_by_one

    def loop() -> None:
        while not stopping.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
                ).get("Messages", [])
            except Exception:
                if stopping.wait(0.5):
                    return
                continue
            add("receives")
            add("received", len(messages))
            if messages:
                handle(messages)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    sys.stdin.read()  # until the harness closes stdin
    stopping.set()
    for worker in workers:
        worker.join()
    print(json.dumps(dict(counts, threads=threads, mode=mode)), flush=True)


if __name__ == "__main__":
    main()
