"""pyspnego over MIT GSSAPI (the python-gssapi package) as the Kerberos
acceptor of Baton's tests: a peer no one here wrote.

Usage: krb_acceptor.py accept <kerberos|negotiate> <service host name>
  The acceptor's key comes from the keytab in KRB5_KTNAME, the realm's
  configuration from KRB5_CONFIG (both set by the test).

Line protocol over stdin/stdout, every payload base64 ("-" = none), as
ntlm_acceptor.py:
    in  TOKEN <b64>            -> out TOKEN <b64>   (handshake continues)
                               -> out DONE <b64|-> <b64 client principal> <negotiated protocol>
                               -> out ERROR <b64 message>
  after completion (framing by pypsrp's own WinRMEncryption, sealing by
  pyspnego's wrap_winrm/unwrap_winrm):
    in  WRAP <b64 plaintext>   -> out BODY <b64 body> <b64 content-type>
    in  UNWRAP <b64 body> <b64 content-type> -> out PLAIN <b64> | ERROR <b64>
    in  QUIT
"""

import base64
import re
import sys

import spnego
from pypsrp.encryption import WinRMEncryption


def b64(data):
    return base64.b64encode(data).decode() if data else "-"


def unb64(text):
    return b"" if text == "-" else base64.b64decode(text)


def say(*words):
    sys.stdout.write(" ".join(words) + "\n")
    sys.stdout.flush()


def error(exc):
    say("ERROR", b64(f"{type(exc).__name__}: {exc}".encode()))


def main():
    mode, protocol, host = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode != "accept":
        raise SystemExit("only the accept mode exists")
    # Kerberos is MIT GSSAPI's; for negotiate pyspnego wraps it in its own
    # SPNEGO layer (GSSAPI's SPNEGO needs gss-ntlmssp). The negotiated
    # protocol is reported on DONE so the test can insist on Kerberos.
    ctx = spnego.server(hostname=host, service="HTTP", protocol=protocol)
    seal = WinRMEncryption.KERBEROS if protocol == "kerberos" else WinRMEncryption.SPNEGO
    enc = WinRMEncryption(ctx, seal)
    say("READY", type(ctx).__name__)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        try:
            if cmd == "TOKEN":
                out = ctx.step(unb64(words[1]))
                if ctx.complete:
                    user = ctx.client_principal or ""
                    say("DONE", b64(out), b64(user.encode()), ctx.negotiated_protocol or "-")
                else:
                    say("TOKEN", b64(out))
            elif cmd == "WRAP":
                ctype, body = enc.wrap_message(unb64(words[1]))
                full = f'{ctype};protocol="{seal}";boundary="Encrypted Boundary"'
                say("BODY", b64(body), b64(full.encode()))
            elif cmd == "UNWRAP":
                body, ctype = unb64(words[1]), unb64(words[2]).decode()
                m = re.search(r'boundary="?([^";]+)"?', ctype)
                say("PLAIN", b64(enc.unwrap_message(body, m.group(1))))
            elif cmd == "QUIT":
                return
            else:
                say("ERROR", b64(b"unknown command"))
        except Exception as exc:  # report every failure to the Rust side
            error(exc)


if __name__ == "__main__":
    main()
