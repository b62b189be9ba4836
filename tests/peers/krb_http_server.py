"""A WinRM-shaped HTTP endpoint for Baton's Kerberos tests: Python's
http.server with pyspnego over MIT GSSAPI doing the authentication (keytab
from KRB5_KTNAME) and pypsrp's WinRMEncryption sealing the bodies, as a
Windows WinRM service does over plain HTTP ([MS-WSMV] 2.2.9.1).

Usage: krb_http_server.py <service host name>
  Prints "PORT <n>" once listening on 127.0.0.1 (ephemeral port), then
  serves until stdin closes. One security context per TCP connection:
    - POST with "Authorization: Kerberos|Negotiate <b64>" steps the
      acceptor: 401 + "WWW-Authenticate: <scheme> <b64>" while it continues,
      200 (empty body) + the final token once complete, 401 without a token
      when the acceptor refuses;
    - a sealed POST (multipart/encrypted) on an authenticated connection is
      unsealed and answered, sealed, with b"echo:" + the plaintext.
"""

import base64
import http.server
import re
import sys
import threading

import spnego
from pypsrp.encryption import WinRMEncryption


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        auth = self.headers.get("Authorization")
        ctx = getattr(self, "ctx", None)
        if auth and not (ctx and ctx.complete):
            scheme, _, token = auth.partition(" ")
            if ctx is None:
                protocol = "kerberos" if scheme.lower() == "kerberos" else "negotiate"
                self.scheme = scheme
                self.ctx = ctx = spnego.server(hostname=self.server.host, service="HTTP", protocol=protocol)
                self.enc = WinRMEncryption(
                    ctx, WinRMEncryption.KERBEROS if protocol == "kerberos" else WinRMEncryption.SPNEGO
                )
            try:
                out = ctx.step(base64.b64decode(token))
            except Exception as exc:
                sys.stderr.write(f"acceptor refused: {exc}\n")
                self.ctx = None
                self.reply(401, [("WWW-Authenticate", "Kerberos"), ("WWW-Authenticate", "Negotiate")])
                return
            www = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
            self.reply(200 if ctx.complete else 401, www)
            return
        if not (ctx and ctx.complete):
            self.reply(401, [("WWW-Authenticate", "Kerberos"), ("WWW-Authenticate", "Negotiate")])
            return
        ctype = self.headers.get("Content-Type", "")
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        plain = self.enc.unwrap_message(body, m.group(1))
        kind, sealed = self.enc.wrap_message(b"echo:" + plain)
        full = f'{kind};protocol="{self.enc.protocol}";boundary="Encrypted Boundary"'
        self.reply(200, [("Content-Type", full)], sealed)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.host = sys.argv[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
