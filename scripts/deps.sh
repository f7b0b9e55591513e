#!/usr/bin/env bash
# Installs the Debian 12 packages stepd needs to build, test and fuzz.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libjansson-dev libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev
      libssl-dev libcmocka-dev libpcre2-dev
      libpq-dev postgresql   # the PostgreSQL store; tests start a server
      clang libclang-rt-dev valgrind graphviz wrk
      awscli
      chromium chromium-driver)   # the web console's browser tests (tests/ui)
# the AWS-client integration test drives stepd with node's
# @aws-sdk/client-sfn (installed by the test with npm ci); Debian's nodejs
# and npm only when no node is on PATH already
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
