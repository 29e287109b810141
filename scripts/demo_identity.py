#!/usr/bin/env python3
"""Sets up the demo's AWS identity in a local moto_server (the AWS emulator).

Creates an IAM user allowed the seed document's full Secrets Manager policy, writes its
access key into the demo's credential directory (mode 0600, as the delegate requires), and a
read-only user for the testConnection demo. For the SQS scene: a fleet user (the delegate's own
identity, allowed the queue actions the README's policy lists) whose key goes to
CREDENTIALS_DIR/fleet-*, and a task queue and a reply queue. Prints the two queue URLs.
Usage: demo_identity.py ENDPOINT CREDENTIALS_DIR
"""
import json
import os
import sys

import boto3

FULL = [
    "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret",
    "secretsmanager:GetRandomPassword", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds",
    "secretsmanager:ListSecrets", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret",
]
READ_ONLY = ["secretsmanager:Describe*", "secretsmanager:Get*", "secretsmanager:List*"]
# README's policy, plus the batch calls under their own names (AWS authorizes SendMessageBatch and
# DeleteMessageBatch as sqs:SendMessage and sqs:DeleteMessage; moto checks their own names).
FLEET = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
         "sqs:SendMessage", "sqs:SendMessageBatch", "sqs:DeleteMessageBatch"]
# Calls made here before moto starts checking signatures and policies: demo.sh passes this as
# INITIAL_NO_AUTH_ACTION_COUNT (three per user, one per queue).
SETUP_CALLS = 3 * 3 + 2


def user(iam, name, actions):
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="secrets", PolicyDocument=json.dumps(policy))
    return iam.create_access_key(UserName=name)["AccessKey"]


def write(directory, name, value):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


def main():
    if sys.argv[1:] == ["--setup-calls"]:
        print(SETUP_CALLS)
        return
    endpoint, directory = sys.argv[1], sys.argv[2]
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="demo", aws_secret_access_key="demo")
    full = user(iam, "demo-delegate", FULL)
    reader = user(iam, "demo-reader", READ_ONLY)
    fleet = user(iam, "demo-fleet", FLEET)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="demo", aws_secret_access_key="demo")
    tasks = sqs.create_queue(QueueName="demo-tasks")["QueueUrl"]
    results = sqs.create_queue(QueueName="demo-results")["QueueUrl"]
    os.makedirs(directory, mode=0o750, exist_ok=True)
    write(directory, "demo-access-key-id", full["AccessKeyId"])
    write(directory, "demo-secret-key", full["SecretAccessKey"])
    write(directory, "reader-access-key-id", reader["AccessKeyId"])
    write(directory, "reader-secret-key", reader["SecretAccessKey"])
    write(directory, "fleet-access-key-id", fleet["AccessKeyId"])
    write(directory, "fleet-secret-key", fleet["SecretAccessKey"])
    print(tasks)
    print(results)


if __name__ == "__main__":
    main()
