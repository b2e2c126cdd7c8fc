"""Trace every request a snapshot holds live and from the snapshot; print what differs as JSON.

Run by tests/test_capture_live.py in the lab's environment (``ACKWB_PROFILES`` and the fake cloud
keys, which the SDK reads when it is imported), as ``python tests/replay_compare.py SNAPSHOT``.
Traces are compared as ``ackwb.render.json_trace.trace_document`` minus the "world" field.
"""

from __future__ import annotations

import json
import sys
import zipfile
from typing import Any

from ackwb import Workbook
from ackwb.render.json_trace import trace_document


def document(trace: Any) -> dict[str, Any]:
    found = trace_document(trace)
    found.pop("world")
    return found


def main(snapshot: str) -> int:
    manifest = json.loads(zipfile.ZipFile(snapshot).read("world.json"))["snapshot"]
    live, replay = Workbook.live("lab"), Workbook.from_snapshot(snapshot)
    differences = []
    for request in manifest["scope"]["requests"]:
        host, port, path = request["host"], request["port"], request["path"]
        a = document(live.trace(host, port=port, path=path))
        b = document(replay.trace(host, port=port, path=path))
        if a != b:
            fields = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            differences.append({"request": request, "fields": fields})
    print(json.dumps({"requests": len(manifest["scope"]["requests"]), "differences": differences}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
