"""A WinRM-shaped HTTP endpoint for Baton's Kerberos tests: Python's
http.server with pyspnego over MIT GSSAPI doing the authentication (keytab
from KRB5_KTNAME) and pypsrp's WinRMEncryption sealing the bodies, as a
Windows WinRM service does over plain HTTP ([MS-WSMV] 2.2.9.1).

Usage: krb_http_server.py <service host name> [<cert.pem> <key.pem> [<bound cert.pem>]]
  Prints "PORT <n>" once listening on 127.0.0.1 (ephemeral port), then
  serves until stdin closes. With a certificate and key it serves HTTPS as
  WinRM does on 5986: the acceptor gets TLS channel bindings
  ("tls-server-end-point", RFC 5929) of the certificate it serves, or of
  <bound cert.pem> (to play a relay whose bindings cannot match), and the
  bodies are not sealed, TLS protects them. Every authenticated reply
  carries "X-Channel-Bound: bound|unbound", as MIT GSSAPI reports the
  context. One security context per TCP connection:
    - POST with "Authorization: Kerberos|Negotiate <b64>" steps the
      acceptor: 401 + "WWW-Authenticate: <scheme> <b64>" while it continues,
      200 (empty body) + the final token once complete, 401 without a token
      when the acceptor refuses;
    - a sealed POST (multipart/encrypted) on an authenticated connection is
      unsealed and answered, sealed, with b"echo:" + the plaintext.
"""

import base64
import hashlib
import http.server
import re
import ssl
import sys
import threading

import gssapi
import spnego
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pypsrp.encryption import WinRMEncryption
from spnego.channel_bindings import GssChannelBindings

# python-gssapi otherwise keeps a refused step's error to itself and returns
# the error token, which pyspnego then reports as an unrelated AttributeError.
gssapi.SecurityContext.__DEFER_STEP_ERRORS__ = False


def tls_server_end_point(pem_path):
    """RFC 5929 tls-server-end-point: the certificate's hash with its
    signature's hash algorithm (SHA-256 for MD5 and SHA-1)."""
    with open(pem_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    algorithm = cert.signature_hash_algorithm
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        algorithm = hashes.SHA256()
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashlib.new(algorithm.name, der).digest()
    return b"tls-server-end-point:" + digest


def channel_bound(ctx):
    inner = ctx
    while not isinstance(inner, gssapi.SecurityContext):
        inner = inner._context
    return gssapi.RequirementFlag.channel_bound in inner.actual_flags


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
                self.ctx = ctx = spnego.server(
                    hostname=self.server.host,
                    service="HTTP",
                    protocol=protocol,
                    channel_bindings=self.server.cbt,
                )
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
            if ctx.complete:
                www.append(("X-Channel-Bound", "bound" if channel_bound(ctx) else "unbound"))
            self.reply(200 if ctx.complete else 401, www)
            return
        if not (ctx and ctx.complete):
            self.reply(401, [("WWW-Authenticate", "Kerberos"), ("WWW-Authenticate", "Negotiate")])
            return
        bound = ("X-Channel-Bound", "bound" if channel_bound(ctx) else "unbound")
        if self.server.tls:
            self.reply(200, [("Content-Type", "application/soap+xml;charset=UTF-8"), bound], b"echo:" + body)
            return
        ctype = self.headers.get("Content-Type", "")
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        plain = self.enc.unwrap_message(body, m.group(1))
        kind, sealed = self.enc.wrap_message(b"echo:" + plain)
        full = f'{kind};protocol="{self.enc.protocol}";boundary="Encrypted Boundary"'
        self.reply(200, [("Content-Type", full), bound], sealed)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.host = sys.argv[1]
    server.tls = len(sys.argv) > 3
    server.cbt = None
    if server.tls:
        cert, key = sys.argv[2], sys.argv[3]
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        bound_to = sys.argv[4] if len(sys.argv) > 4 else cert
        server.cbt = GssChannelBindings(application_data=tls_server_end_point(bound_to))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
