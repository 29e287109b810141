#!/bin/sh
# Prints the delegate's version, read from Sources/Delegate/DelegateVersion.swift (the one place
# it is written), and fails if it is not a valid Debian version.
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^[[:space:]]*public static let current = "\([^"]*\)".*/\1/p' Sources/Delegate/DelegateVersion.swift)
case "$version" in
"" | *[!A-Za-z0-9.+~]* | [!0-9]*)
    echo "package-version: cannot read a valid version from Sources/Delegate/DelegateVersion.swift (got '$version')" >&2
    exit 1 ;;
esac
echo "$version"
