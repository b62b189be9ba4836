"""The pypsrp side of the fleet sweep (tests/bench/fleet.sh).

Usage: fleet_pypsrp.py HOSTS_FILE USER PASSWORD [THREADS]

HOSTS_FILE has one `address port` per line. For every computer, with
THREADS threads (32, as Get-PSSession's ThrottleLimit), it does what
Get-PSSession -ComputerName does through pypsrp 0.9.1's own API:
RunspacePool.get_runspace_pools(wsman), which enumerates the shells and
then each shell's commands. It prints one JSON line: wall seconds, HTTP
requests sent (every send through requests' adapter, the NTLM handshake's
included), sessions and commands found, failures.
"""
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests.adapters
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan

_lock = threading.Lock()
_requests = [0]
_send = requests.adapters.HTTPAdapter.send


def _counted_send(self, *args, **kwargs):
    with _lock:
        _requests[0] += 1
    return _send(self, *args, **kwargs)


requests.adapters.HTTPAdapter.send = _counted_send


def sweep_one(host, port, user, password):
    wsman = WSMan(host, port=int(port), username=user, password=password, ssl=False,
                  auth="ntlm", encryption="auto", cert_validation=False, no_proxy=True,
                  operation_timeout=20, read_timeout=60, connection_timeout=60)
    with wsman:
        pools = RunspacePool.get_runspace_pools(wsman)
        return len(pools), sum(len(p.pipelines) for p in pools)


def main():
    hosts_file, user, password = sys.argv[1:4]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    with open(hosts_file) as f:
        hosts = [line.split() for line in f if line.strip()]
    failures = []

    def one(h):
        try:
            return sweep_one(h[0], h[1], user, password)
        except Exception as e:  # a failed computer is counted, not fatal
            failures.append(f"{h[0]}: {type(e).__name__}: {e}"[:300])
            return 0, 0

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, hosts))
    seconds = time.monotonic() - started
    print(json.dumps({
        "computers": len(hosts),
        "seconds": round(seconds, 3),
        "http_requests": _requests[0],
        "sessions": sum(r[0] for r in results),
        "commands": sum(r[1] for r in results),
        "failures": len(failures),
        "first_failures": failures[:3],
    }))


if __name__ == "__main__":
    main()
