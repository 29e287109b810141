#!/usr/bin/env python3
"""The one-shot baseline of the `get` benchmark: what a script run per secret would do.

Usage: boto3_get.py ENDPOINT SECRET_ID
Creates a Secrets Manager client (credentials and region from the environment), fetches the
secret and writes its SecretString to stdout with nothing added, like `secrets-delegate get`.
One process per call: interpreter start and client creation are part of what is measured.
"""

import sys

import boto3


def main() -> None:
    endpoint, secret_id = sys.argv[1], sys.argv[2]
    client = boto3.client("secretsmanager", endpoint_url=endpoint)
    sys.stdout.write(client.get_secret_value(SecretId=secret_id)["SecretString"])


if __name__ == "__main__":
    main()
