#!/usr/bin/env bash
# Installs the real peers the tests use into .peers/ (git ignores it):
#   - a virtualenv with pypsrp 0.9.1, psrpcore 0.3.1 and pyspnego (clients, NTLM and CredSSP acceptors no one
#     here wrote; CredSSP needs the cryptography package, which pypsrp pulls in), and
#     python-gssapi + python-krb5 so pyspnego accepts Kerberos with MIT GSSAPI (tests/kerberos.rs;
#     building it needs libkrb5-dev from installer/debian-deps.sh test)
#   - the pypsrp 0.9.1 source distribution, whose tests/tests_pypsrp/responses/*.yml are
#     recorded exchanges with real Windows servers
# Prints the environment variables the tests read.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers="$root/.peers"
mkdir -p "$peers"
if [ ! -x "$peers/venv/bin/python" ]; then
  python3 -m venv "$peers/venv"
fi
if ! "$peers/venv/bin/python" -c 'import pypsrp, spnego' 2>/dev/null; then
  "$peers/venv/bin/pip" install -q --disable-pip-version-check 'pypsrp==0.9.1' 'pyspnego>=0.11'
fi
if ! "$peers/venv/bin/python" -c 'import psrpcore' 2>/dev/null; then
  # a second PSRP implementation (its session-key crypto is the peer of Baton's)
  "$peers/venv/bin/pip" install -q --disable-pip-version-check 'psrpcore==0.3.1'
fi
if ! "$peers/venv/bin/python" -c 'import gssapi, krb5' 2>/dev/null; then
  # pyspnego's GSSAPI provider needs both (built from source against libkrb5-dev)
  "$peers/venv/bin/pip" install -q --disable-pip-version-check 'gssapi==1.12.0' 'krb5==0.9.0'
fi
if [ ! -d "$peers/pypsrp-0.9.1/tests/tests_pypsrp/responses" ]; then
  tmp=$(mktemp -d)
  "$peers/venv/bin/pip" download -q --disable-pip-version-check --no-binary :all: --no-deps 'pypsrp==0.9.1' -d "$tmp"
  tar -xzf "$tmp"/pypsrp-0.9.1.tar.gz -C "$peers"
  rm -rf "$tmp"
fi
