#!/usr/bin/python3
"""A second implementation of the ANTT v1 wire format, written from
proto/PROTOCOL.md alone, in Python with Debian's python3-msgpack.

It encodes events the way another vendor's station software might (its own
msgpack library, its own choices of integer widths and timestamp sizes, ids
as text or as bytes) and checks that anttd's decoder, through
antt-proto-check, gives the verdict the specification promises.

Usage: py_protocol.py ANTT_PROTO_CHECK          run the checks (exit 1 on a mismatch)
       py_protocol.py --write-corpus DIR        write every message as a fuzz seed
"""
import json
import os
import subprocess
import sys
import uuid

import msgpack

NOW_MS = 1686798000000  # 2023-06-15T03:00:00Z, passed to the checker as --now
DAY_MS = 86400000


def ts(ms):
    """An instant as the msgpack timestamp extension (type -1)."""
    return msgpack.Timestamp.from_unix_nano(ms * 1000000)


def envelope(etype, seq, **body):
    ev = {
        "v": 1,
        "id": uuid.UUID(int=(0x0188F1B23C4D7000 << 64) | (0x8000000000000000 + seq)).bytes,
        "type": etype,
        "node": "ls-183-06040",
        "unit": "06040",
        "seq": seq,
        "time": ts(NOW_MS - 60000),
    }
    ev.update(body)
    return ev


def samples():
    """One valid event of each type, as PROTOCOL.md's field tables define them."""
    return [
        envelope("incident.reported", 1, case="12/VV-CAX", group="social_order",
                 severity="serious", occurred_at=ts(NOW_MS - 2 * DAY_MS), occurred_unit="06043",
                 deaths=0, injuries=2,
                 summary="Cố ý gây thương tích tại chợ Đồng Đăng; 2 người bị thương."),
        envelope("incident.cleared", 2, case="12/VV-CAX", cleared_at=NOW_MS - DAY_MS, suspects=3),
        envelope("incident.corrected", 3, case="12/VV-CAX", severity="very_serious",
                 reason="Giám định lại thương tích"),
        envelope("incident.voided", 4, case="13/VV-CAX", reason="Nhập trùng"),
        envelope("tipoff.received", 5, ref="TG-2023-0042", kind="denunciation", source="citizen",
                 received_at=ts(NOW_MS - 4 * DAY_MS)),
        envelope("tipoff.extended", 6, ref="TG-2023-0042", deadline=ts(NOW_MS + 60 * DAY_MS),
                 basis="complex"),
        envelope("tipoff.resolved", 7, ref="TG-2023-0042", outcome="not_prosecute",
                 resolved_at=ts(NOW_MS - 3600000)),
        envelope("tipoff.resumed", 8, ref="TG-2023-0041", resumed_at=NOW_MS - 7200000),
    ]


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def cases():
    """(name, message bytes, expected verdicts). A verdict list holds "valid"
    or an error code per event; a bare int is a message-level refusal."""
    out = []
    evs = samples()
    for ev in evs:
        out.append(("single-" + ev["type"], pack(ev), ["valid"]))
    out.append(("batch-all-types", pack(evs), ["valid"] * len(evs)))

    # Ids as canonical text, upper case; times as 96-bit timestamps and as ms.
    ev = dict(evs[0], id=str(uuid.UUID(bytes=evs[0]["id"])).upper(),
              time=msgpack.Timestamp(seconds=NOW_MS // 1000 - 60, nanoseconds=123456789),
              occurred_at=NOW_MS - DAY_MS)
    out.append(("text-id-and-mixed-times", pack(ev), ["valid"]))
    # Far-past seconds force the 96-bit form in most encoders: refused by range.
    ev = dict(evs[1], cleared_at=msgpack.Timestamp(seconds=-1, nanoseconds=5))
    out.append(("time-before-2000", pack(ev), [213]))
    # A v1.x sender's extra key is ignored.
    ev = dict(evs[4], x_channel="hotline 113")
    out.append(("unknown-key-ignored", pack(ev), ["valid"]))
    # ... but a key, known or not, is text: a NUL inside one is refused.
    ev = dict(evs[4], **{"x\x00channel": "hotline 113"})
    out.append(("control-character-key", pack(ev), [202]))
    # Refusals the spec lists, one per event, in one batch: the good ones pass.
    bad = [
        dict(evs[0], severity="grave"),                     # 210 BAD_ENUM
        dict(evs[1], suspects=0),                           # 206 OUT_OF_RANGE
        dict(evs[2], type="incident.deleted"),              # 215 UNKNOWN_TYPE
        {k: v for k, v in evs[3].items() if k != "seq"},    # 204 MISSING_FIELD
        dict(evs[4], unit="1834"),                          # 209 BAD_FORMAT
        dict(evs[5], v=2),                                  # 214 VERSION
        dict(evs[6], id=b"\x00" * 16),                      # 211 BAD_ID
        evs[7],                                             # valid
        dict(evs[0], suspects=1),                           # 216 FIELD_NOT_ALLOWED
        42,                                                 # 200 EVENT_NOT_MAP
    ]
    out.append(("batch-with-refusals", pack(bad),
                [210, 206, 215, 204, 209, 214, 211, "valid", 216, 200]))
    # Invalid UTF-8 cannot be produced through a Python str: pack raw bytes as str.
    raw = pack(dict(evs[0], summary="XX")).replace(b"\xa2XX", b"\xa2\xc3\x28")
    out.append(("invalid-utf8", raw, [208]))
    out.append(("empty-batch", pack([]), 104))
    out.append(("not-events", pack("hello"), 102))
    out.append(("truncated", pack(evs[0])[:-3], 100))
    out.append(("trailing-bytes", pack(evs[0]) + b"\xc0", 106))
    return out


def run_checker(checker, data):
    p = subprocess.run([checker, "--now", str(NOW_MS)], input=data, capture_output=True,
                       timeout=30)
    if p.returncode not in (0, 1):
        raise RuntimeError("checker failed: rc=%d %s" % (p.returncode, p.stderr.decode()))
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--write-corpus":
        os.makedirs(sys.argv[2], exist_ok=True)
        for name, data, _ in cases():
            with open(os.path.join(sys.argv[2], name + ".msgpack"), "wb") as f:
                f.write(data)
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed = passed = 0
    for name, data, want in cases():
        got = run_checker(sys.argv[1], data)
        if isinstance(want, int):
            ok = len(got) == 1 and got[0].get("message") == "refused" and got[0]["code"] == want
        else:
            verdicts = ["valid" if g.get("status") == "valid" else g.get("code") for g in got]
            ok = verdicts == want
        if ok:
            passed += 1
        else:
            failed += 1
            print("MISMATCH %s: want %s, got %s" % (name, want, got))
    print("interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
