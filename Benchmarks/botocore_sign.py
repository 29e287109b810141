#!/usr/bin/env python3
"""The signing baseline: botocore's SigV4Auth on the request SigV4Bench signs.

Same request (POST / to secretsmanager.us-east-1.amazonaws.com, Content-Type, X-Amz-Target,
the same JSON body), same keys, one process. botocore derives the signing key on every call
(it has no key cache), so it is compared with both of the delegate's modes.

Usage: botocore_sign.py [iterations] [rounds]; prints one JSON line per round.
"""

import json
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5

credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
signer = SigV4Auth(credentials, "secretsmanager", "us-east-1")
request = AWSRequest(
    method="POST",
    url="https://secretsmanager.us-east-1.amazonaws.com/",
    headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"},
    data=b'{"SecretId":"devops/db"}',
)


def measure(count: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(count):
        signer.add_auth(request)
    return (time.perf_counter_ns() - start) / count


measure(max(iterations // 10, 1))
for round_ in range(rounds):
    ns = measure(iterations)
    print(json.dumps({"impl": "botocore", "mode": "SigV4Auth", "round": round_, "iterations": iterations, "nsPerOp": ns}))
