"""The peer half of `cargo bench --bench protocol`'s decode figures.

Reads a file of PSRP fragments written back to back (the bytes Baton's
`ClientPool::handle_stream` decodes in the same run) and decodes them with
psrpcore 0.3.1's own functions, as its runspace pool does on receive
(psrpcore/_base.py next_event and _process_message): unpack_fragment, the
fragments of one object joined, unpack_message, ElementTree.fromstring and
psrpcore.types.deserialize. Its state machine itself is not driven (it would
need an opened pool and pipeline); what it adds per message is logging
calls that are disabled here.

Usage: python psrpcore_decode.py FRAGMENTS_FILE
Prints one line: `psrpcore <version> <bytes> <seconds> <objects>`.
"""

import sys
import time
from importlib.metadata import version
from xml.etree import ElementTree

from psrpcore._crypto import PSRemotingCrypto
from psrpcore._payload import unpack_fragment, unpack_message
from psrpcore.types import PSRPMessageType, deserialize


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    cipher = PSRemotingCrypto()
    view = memoryview(data)
    pending = {}
    objects = 0
    start = time.perf_counter()
    at = 0
    while at < len(view):
        fragment = unpack_fragment(view[at:])
        at += 21 + len(fragment.data)
        parts = pending.setdefault(fragment.object_id, [])
        if fragment.fragment_id != len(parts):
            raise SystemExit(f"fragment {fragment.fragment_id} out of order")
        parts.append(fragment.data)
        if not fragment.end:
            continue
        del pending[fragment.object_id]
        message = unpack_message(bytearray(b"".join(parts)))
        if not message.data:
            continue
        deserialize(ElementTree.fromstring(message.data), cipher)
        if message.message_type == PSRPMessageType.PipelineOutput:
            objects += 1
    secs = time.perf_counter() - start
    print(f"psrpcore {version('psrpcore')} {len(data)} {secs:.6f} {objects}")


if __name__ == "__main__":
    main()
