"""pyspnego as the peer of Baton's authentication tests.

Line protocol over stdin/stdout, every payload base64 ("-" = none):

  acceptor mode: ntlm_acceptor.py accept <ntlm|negotiate|credssp> [<b64 server certificate DER>]
      (credentials from NTLM_USER_FILE, lines DOMAIN:USER:PASSWORD; with a
      certificate the acceptor demands tls-server-end-point channel bindings,
      hashed by pypsrp's own _get_certificate_hash)
    in  TOKEN <b64>            -> out TOKEN <b64>   (handshake continues)
                               -> out DONE <b64|-> <b64 user>   (complete)
                               -> out ERROR <b64 message>
  client mode:   ntlm_acceptor.py client <ntlm|negotiate> <user> <password> [<b64 server certificate DER>]
    out TOKEN <b64> first; then
    in  TOKEN <b64>            -> out TOKEN <b64> | DONE <b64|-> - | ERROR <b64>
    in  FINAL <b64|->          -> out DONE - -      (feeds the acceptor's last token)
  cbt mode:      ntlm_acceptor.py cbt <b64 certificate DER>
    out CBT <b64 application data>   (pypsrp's tls-server-end-point value)
  credssp acceptor, after completion (pyspnego's CredSSP acceptor, with its
  own TLS and NTLM-in-SPNEGO acceptor inside):
    in  CRED                   -> out CRED <b64 domain> <b64 user> <b64 password>
                                  (the TSPasswordCreds the client delegated)
  both modes, after completion (framing by pypsrp's own WinRMEncryption,
  sealing by pyspnego's wrap_winrm/unwrap_winrm):
    in  WRAP <b64 plaintext>   -> out BODY <b64 body> <b64 content-type>
    in  UNWRAP <b64 body> <b64 content-type> -> out PLAIN <b64> | ERROR <b64>
"""

import base64
import re
import sys

import spnego
from pypsrp.encryption import WinRMEncryption
from pypsrp.negotiate import HTTPNegotiateAuth
from spnego.channel_bindings import GssChannelBindings


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
    mode, protocol = sys.argv[1], sys.argv[2]
    if mode == "cbt":
        cert = base64.b64decode(sys.argv[2])
        say("CBT", b64(b"tls-server-end-point:" + HTTPNegotiateAuth._get_certificate_hash(cert)))
        return
    if mode == "accept":
        cbt = None
        if len(sys.argv) > 3:
            cert = base64.b64decode(sys.argv[3])
            app_data = b"tls-server-end-point:" + HTTPNegotiateAuth._get_certificate_hash(cert)
            cbt = GssChannelBindings(application_data=app_data)
        ctx = spnego.server(protocol=protocol, channel_bindings=cbt)
    else:
        user, password = sys.argv[3], sys.argv[4]
        cbt = None
        if len(sys.argv) > 5:
            cert = base64.b64decode(sys.argv[5])
            app_data = b"tls-server-end-point:" + HTTPNegotiateAuth._get_certificate_hash(cert)
            cbt = GssChannelBindings(application_data=app_data)
        ctx = spnego.client(
            user, password, hostname="lab.example", service="http", protocol=protocol, channel_bindings=cbt
        )
        say("TOKEN", b64(ctx.step()))
    seal = WinRMEncryption.CREDSSP if protocol == "credssp" else WinRMEncryption.SPNEGO
    enc = WinRMEncryption(ctx, seal)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        try:
            if cmd == "TOKEN":
                out = ctx.step(unb64(words[1]))
                if ctx.complete:
                    user = ctx.client_principal if mode == "accept" else None
                    say("DONE", b64(out), b64((user or "").encode()))
                else:
                    say("TOKEN", b64(out))
            elif cmd == "FINAL":
                token = unb64(words[1])
                if token and not ctx.complete:
                    ctx.step(token)
                say("DONE", "-", "-")
            elif cmd == "WRAP":
                ctype, body = enc.wrap_message(unb64(words[1]))
                full = f'{ctype};protocol="{seal}";boundary="Encrypted Boundary"'
                say("BODY", b64(body), b64(full.encode()))
            elif cmd == "UNWRAP":
                body, ctype = unb64(words[1]), unb64(words[2]).decode()
                m = re.search(r'boundary="?([^";]+)"?', ctype)
                say("PLAIN", b64(enc.unwrap_message(body, m.group(1))))
            elif cmd == "CRED":
                cred = ctx.get_extra_info("client_credential")
                say(
                    "CRED",
                    b64((cred.domain_name or "").encode()),
                    b64((cred.username or "").encode()),
                    b64((cred.password or "").encode()),
                )
            elif cmd == "QUIT":
                return
            else:
                say("ERROR", b64(b"unknown command"))
        except Exception as exc:  # report every failure to the Rust side
            error(exc)


if __name__ == "__main__":
    main()
