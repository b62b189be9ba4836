"""psrpcore's side of the PSRP session key, for Baton's client to meet.

Usage:
  psrpcore_session_key.py wrap PUBLIC_KEY_BLOB_HEX
      makes a session key and wraps it for the client's PUBLIC_KEY blob with
      psrpcore's own code (as a server does), and encrypts a text of its own
      as a SecureString under it
  psrpcore_session_key.py decrypt SESSION_KEY_HEX SECURE_STRING_HEX
      decrypts a SecureString the client made
Prints one JSON document.
"""
import base64
import json
import os
import sys

from psrpcore._crypto import PSRemotingCrypto, encrypt_session_key


def cipher(key):
    crypto = PSRemotingCrypto()
    crypto.register_key(key)
    return crypto


def main():
    if sys.argv[1] == "wrap":
        session_key = os.urandom(32)
        text = "Peer-S3cret \u00e9\u00df"
        print(json.dumps({
            "wrapped": encrypt_session_key(bytes.fromhex(sys.argv[2]), session_key).hex(),
            "session_key": session_key.hex(),
            "text": text,
            # psrpcore takes and gives the text and the base64 of <SS>.
            "encrypted": base64.b64decode(cipher(session_key).encrypt(text)).hex(),
        }))
    else:
        ss = base64.b64encode(bytes.fromhex(sys.argv[3])).decode()
        print(json.dumps({"text": cipher(bytes.fromhex(sys.argv[2])).decrypt(ss)}))


if __name__ == "__main__":
    main()
