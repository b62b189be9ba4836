"""pypsrp as a client of Baton's lab endpoint: a peer no one here wrote.

Usage: pypsrp_lab_client.py SCENARIO HOST PORT USER PASSWORD [USER2 PASSWORD2]
Prints one JSON document with what pypsrp saw; exits non-zero on failure.
"""
import json
import sys
import time

from pypsrp.powershell import PowerShell, RunspacePool, PSInvocationState
from pypsrp.wsman import WSMan


def wsman(host, port, user, password, auth="ntlm", encryption="auto"):
    return WSMan(host, port=int(port), username=user, password=password, ssl=False,
                 auth=auth, encryption=encryption, cert_validation=False,
                 operation_timeout=5, read_timeout=15)


def streams(host, port, user, password):
    with RunspacePool(wsman(host, port, user, password)) as pool:
        ps = PowerShell(pool)
        ps.add_script(
            "Write-Output 'out1'; Write-Warning 'careful'; Write-Verbose 'chatty' -Verbose; "
            "Write-Error 'it broke'; Write-Information 'info1'; "
            "Write-Progress -Activity 'Copying' -Status 'Half' -PercentComplete 50; "
            "1..3 | ForEach-Object { $_ * 2 }"
        )
        out = ps.invoke()
        return {
            "output": [str(o) for o in out],
            "had_errors": ps.had_errors,
            "errors": [str(e) for e in ps.streams.error],
            "warnings": [w.message for w in ps.streams.warning],
            "verbose": [v.message for v in ps.streams.verbose],
            "information": [str(i.message_data) for i in ps.streams.information],
            "progress": [p.activity for p in ps.streams.progress],
            "state": ps.state,
            "pool_id": str(pool.id),
        }


def handover(host, port, user, password):
    # The technician: a named pool, a long command, disconnect.
    tech = RunspacePool(wsman(host, port, user, password), idle_timeout=3600)
    tech.shell.name = "ITTask"
    tech.open()
    ps = PowerShell(tech)
    ps.add_script("1..6 | ForEach-Object { Start-Sleep -Milliseconds 300; \"line $_\" }")
    ps.begin_invoke()
    tech.disconnect()
    pool_id = str(tech.id).upper()
    time.sleep(2.5)  # the command goes on while nobody is connected

    # The manager, from a new connection with the technician's credentials.
    conn2 = wsman(host, port, user, password)
    pools = RunspacePool.get_runspace_pools(conn2)
    ids = [str(p.id).upper() for p in pools]
    mine = [p for p in pools if str(p.id).upper() == pool_id][0]
    mine.connect()
    output = []
    states = []
    for dps in mine.create_disconnected_power_shells():
        dps.connect()
        output.extend(str(o) for o in dps.output)
        states.append(dps.state)
    mine.close()
    after = [str(p.id).upper() for p in RunspacePool.get_runspace_pools(wsman(host, port, user, password))]
    return {"pool_id": pool_id, "listed": ids, "output": output, "states": states,
            "listed_after_close": after}


def isolation(host, port, user, password, user2, password2):
    tech = RunspacePool(wsman(host, port, user, password))
    tech.open()
    tech.disconnect()
    pool_id = str(tech.id).upper()
    other = RunspacePool.get_runspace_pools(wsman(host, port, user2, password2))
    seen = [str(p.id).upper() for p in other]
    # Connecting by id with the wrong user must fail like on Windows.
    err = None
    try:
        intruder = RunspacePool(wsman(host, port, user2, password2))
        intruder.id = tech.id
        intruder.shell.id = pool_id
        intruder.state = 9  # DISCONNECTED
        intruder._new_client = True
        intruder.connect()
    except Exception as e:  # noqa: BLE001 - report what pypsrp raised
        err = type(e).__name__ + ": " + str(e)
    RunspacePool.get_runspace_pools(wsman(host, port, user, password))
    return {"pool_id": pool_id, "seen_by_other": seen, "intruder_error": err}


def basic(host, port, user, password):
    with RunspacePool(wsman(host, port, user, password, auth="basic", encryption="never")) as pool:
        ps = PowerShell(pool)
        ps.add_script("'via basic'")
        return {"output": [str(o) for o in ps.invoke()]}


def shells(host, port, user, password):
    # The shells the user sees, as pypsrp enumerates them (the same
    # Enumerate as RunspacePool.get_runspace_pools), with what the server
    # says of each.
    from pypsrp.wsman import NAMESPACES
    import xml.etree.ElementTree as ET

    conn = wsman(host, port, user, password)
    enum_msg = ET.Element("{%s}Enumerate" % NAMESPACES["wsen"])
    ET.SubElement(enum_msg, "{%s}OptimizeEnumeration" % NAMESPACES["wsman"])
    ET.SubElement(enum_msg, "{%s}MaxElements" % NAMESPACES["wsman"]).text = "32000"
    response = conn.enumerate("http://schemas.microsoft.com/wbem/wsman/1/windows/shell", enum_msg)
    found = []
    for shell in response.findall("wsen:EnumerateResponse/wsman:Items/rsp:Shell", NAMESPACES):
        def text(tag):
            el = shell.find("rsp:" + tag, NAMESPACES)
            return None if el is None else el.text
        found.append({
            "id": text("ShellId"),
            "name": text("Name"),
            "state": text("State"),
            "buffer_mode": text("BufferMode"),
            "idle_timeout": text("IdleTimeOut"),
        })
    return {"shells": found}


def secure_string(host, port, user, password):
    # pypsrp's own key exchange (its RSA key, its AES code) against the lab:
    # a SecureString argument goes in under the session key, the lab reads
    # it, and sends it back as a SecureString that pypsrp decrypts.
    from pypsrp.serializer import TaggedValue

    secret = "P@ss w\u00f6rd 42"
    with RunspacePool(wsman(host, port, user, password)) as pool:
        pool.exchange_keys()
        ps = PowerShell(pool)
        ps.add_script("param($s) $s.GetType().FullName; $s.Length; $s")
        ps.add_argument(TaggedValue("SS", secret))
        out = ps.invoke()
        return {"output": [o if isinstance(o, (str, int)) else str(o) for o in out],
                "round_trip": out[-1] == secret if out else False,
                "errors": [str(e) for e in ps.streams.error]}


def main():
    scenario, host, port, user, password = sys.argv[1:6]
    extra = sys.argv[6:]
    result = {"streams": streams, "handover": handover, "basic": basic,
              "isolation": isolation, "shells": shells,
              "secure_string": secure_string}[scenario](host, port, user, password, *extra)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
