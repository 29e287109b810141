#!/usr/bin/env python3
"""Sets up the booted tier's AWS identity in moto_server (signature and IAM checks on).

moto lets the first three actions through unsigned (INITIAL_NO_AUTH_ACTION_COUNT=3): they make
an administrator. Signed as that administrator, it creates the instance role (allowed every
Secrets Manager action the tasks use) and assumes it: the temporary credentials are what the
IMDS emulator hands the delegate as its instance role. Prints them as shell assignments, and the
URLs of an SQS task queue and reply queue (the role may use them) as SQS_TASK_QUEUE/SQS_REPLY_QUEUE,
and of a task queue whose messages the role may not delete as SQS_NODELETE_QUEUE.
Usage: aws_setup.py ENDPOINT
"""
import json
import sys

import boto3

ACCOUNT = "123456789012"
# The SQS actions: README's policy, plus the batch calls under their own names (AWS authorizes
# SendMessageBatch/DeleteMessageBatch as sqs:SendMessage/sqs:DeleteMessage; moto checks their own).
SECRETS = ["secretsmanager:*", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
           "sqs:GetQueueAttributes", "sqs:SendMessage", "sqs:SendMessageBatch", "sqs:DeleteMessageBatch"]


def client(service, endpoint, **keys):
    keys.setdefault("aws_access_key_id", "bootstrap")
    keys.setdefault("aws_secret_access_key", "bootstrap")
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **keys)


# The role may not delete the messages of this queue: a delegate's delete fails, the message comes
# back after its lease, and the delegate that answered it deletes it again without running it.
NODELETE_QUEUE = "boot-nodelete"


def policy(actions, denied=()):
    statements = [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    statements += [{"Effect": "Deny", "Action": action, "Resource": resource} for action, resource in denied]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def main():
    endpoint = sys.argv[1]
    iam = client("iam", endpoint)
    iam.create_user(UserName="boot-admin")
    iam.put_user_policy(UserName="boot-admin", PolicyName="all", PolicyDocument=policy(["*"]))
    key = iam.create_access_key(UserName="boot-admin")["AccessKey"]
    admin = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

    iam = client("iam", endpoint, **admin)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/boot-admin"},
        "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="boot-instance-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    nodelete_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NODELETE_QUEUE}"
    denied = [(["sqs:DeleteMessage", "sqs:DeleteMessageBatch"], nodelete_arn)]
    iam.put_role_policy(RoleName="boot-instance-role", PolicyName="secrets", PolicyDocument=policy(SECRETS, denied))
    issued = client("sts", endpoint, **admin).assume_role(
        RoleArn=role["Arn"], RoleSessionName="i-0boottest", DurationSeconds=3600)["Credentials"]
    print(f"IMDS_ACCESS_KEY_ID={issued['AccessKeyId']}")
    print(f"IMDS_SECRET_ACCESS_KEY={issued['SecretAccessKey']}")
    print(f"IMDS_SESSION_TOKEN={issued['SessionToken']}")
    # When STS says the keys end, which the IMDS emulator hands out as their Expiration.
    print(f"IMDS_EXPIRATION={int(issued['Expiration'].timestamp())}")
    sqs = client("sqs", endpoint, **admin)
    print(f"SQS_TASK_QUEUE={sqs.create_queue(QueueName='boot-tasks')['QueueUrl']}")
    print(f"SQS_REPLY_QUEUE={sqs.create_queue(QueueName='boot-replies')['QueueUrl']}")
    print(f"SQS_NODELETE_QUEUE={sqs.create_queue(QueueName=NODELETE_QUEUE)['QueueUrl']}")


if __name__ == "__main__":
    main()
