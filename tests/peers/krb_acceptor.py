"""pyspnego over MIT GSSAPI (the python-gssapi package) as the Kerberos
acceptor of Baton's tests: a peer no one here wrote.

Usage: krb_acceptor.py accept <kerberos|negotiate> <service host name> [<b64 cb>]
  The acceptor's key comes from the keytab in KRB5_KTNAME, the realm's
  configuration from KRB5_CONFIG (both set by the test). With <b64 cb>, the
  acceptor has channel bindings with that application data (for WinRM over
  HTTPS: "tls-server-end-point:" + the certificate hash, RFC 5929).

Line protocol over stdin/stdout, every payload base64 ("-" = none), as
ntlm_acceptor.py:
    in  TOKEN <b64>            -> out TOKEN <b64>   (handshake continues)
                               -> out DONE <b64|-> <b64 client principal> <negotiated protocol> <bound|unbound>
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

import gssapi
import spnego
from spnego.channel_bindings import GssChannelBindings

# python-gssapi otherwise keeps a refused step's error to itself and returns
# the error token, which pyspnego then reports as an unrelated AttributeError.
gssapi.SecurityContext.__DEFER_STEP_ERRORS__ = False
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


def channel_bound(ctx):
    """Whether MIT GSSAPI reports the established context as bound to the
    channel (GSS_C_CHANNEL_BOUND_FLAG, MIT 1.19+): the initiator's bindings
    matched the acceptor's. pyspnego's negotiate proxy wraps the GSSAPI one."""
    inner = ctx
    while not isinstance(inner, gssapi.SecurityContext):
        inner = inner._context
    return gssapi.RequirementFlag.channel_bound in inner.actual_flags


def main():
    mode, protocol, host = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode != "accept":
        raise SystemExit("only the accept mode exists")
    cbt = GssChannelBindings(application_data=unb64(sys.argv[4])) if len(sys.argv) > 4 else None
    # Kerberos is MIT GSSAPI's; for negotiate pyspnego wraps it in its own
    # SPNEGO layer (GSSAPI's SPNEGO needs gss-ntlmssp). The negotiated
    # protocol is reported on DONE so the test can insist on Kerberos.
    ctx = spnego.server(hostname=host, service="HTTP", protocol=protocol, channel_bindings=cbt)
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
                    bound = "bound" if channel_bound(ctx) else "unbound"
                    say("DONE", b64(out), b64(user.encode()), ctx.negotiated_protocol or "-", bound)
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
