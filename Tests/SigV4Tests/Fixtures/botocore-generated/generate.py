#!/usr/bin/env python3
"""Regenerates the vectors in this folder with botocore's own SigV4 signer.

Run from this folder: python3 generate.py
Each case folder gets the same files as AWS's suite (context.json, request.txt,
header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt,
header-signed-request.txt), without trailing newlines.
"""
import datetime
import json
import os
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "service"
TIMESTAMP = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
HOST = "example.amazonaws.com"

# case name -> (method, path and query as on the wire)
CASES = {
    "get-query-flag": ("GET", "/?flag"),
    "get-query-flag-mixed": ("GET", "/?b=2&flag&a=1"),
}


class RecordingSigV4Auth(botocore.auth.SigV4Auth):
    """botocore's signer, keeping the intermediate texts of the one add_auth call."""

    def canonical_request(self, request):
        self.canonical = super().canonical_request(request)
        return self.canonical

    def string_to_sign(self, request, canonical_request):
        self.string_to_sign_text = super().string_to_sign(request, canonical_request)
        return self.string_to_sign_text

    def signature(self, string_to_sign, request):
        self.signature_text = super().signature(string_to_sign, request)
        return self.signature_text


def write(folder, name, text):
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    for case, (method, target) in CASES.items():
        os.makedirs(case, exist_ok=True)
        request = AWSRequest(method=method, url=f"https://{HOST}{target}", headers={"Host": HOST})
        signer = RecordingSigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), SERVICE, REGION)
        with mock.patch("botocore.auth.get_current_datetime", return_value=TIMESTAMP):
            signer.add_auth(request)
        canonical, string_to_sign, signature = signer.canonical, signer.string_to_sign_text, signer.signature_text
        assert request.headers["Authorization"].endswith("Signature=" + signature)

        context = {
            "generator": f"botocore {botocore.__version__} botocore.auth.SigV4Auth",
            "credentials": {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY},
            "normalize": True,
            "region": REGION,
            "service": SERVICE,
            "sign_body": False,
            "timestamp": TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        write(case, "context.json", json.dumps(context, indent=4))
        write(case, "request.txt", f"{method} {target} HTTP/1.1\nHost:{HOST}\n")
        write(case, "header-canonical-request.txt", canonical)
        write(case, "header-string-to-sign.txt", string_to_sign)
        write(case, "header-signature.txt", signature)
        write(
            case,
            "header-signed-request.txt",
            f"{method} {target} HTTP/1.1\nHost:{HOST}\n"
            f"X-Amz-Date:{request.headers['X-Amz-Date']}\n"
            f"Authorization:{request.headers['Authorization']}\n",
        )


if __name__ == "__main__":
    main()
