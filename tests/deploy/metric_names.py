#!/usr/bin/env python3
"""metric_names.py EXPOSITION FILE... — every antt_* metric that the
dashboard (JSON) and the alert rules (YAML) query exists in a live /metrics
exposition (EXPOSITION: a saved body). The dashboard must be valid JSON
whose panels all have targets with an expression. Exit 1 with the names
missing, 0 when all are there."""
import json
import re
import sys

NAME = re.compile(r"\bantt_[a-z_]+\b")


def exposed(path):
    names = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    # a histogram's series
    for n in list(names):
        names.update({n + "_bucket", n + "_sum", n + "_count"})
    return names


def queried(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        d = json.loads(text)
        exprs = []
        for p in d["panels"]:
            assert p.get("targets"), "panel without targets: %s" % p.get("title")
            for t in p["targets"]:
                assert t.get("expr"), "target without expr in %s" % p.get("title")
                exprs.append(t["expr"])
        text = "\n".join(exprs)
    return set(NAME.findall(text))


def main():
    have = exposed(sys.argv[1])
    missing = {}
    used = 0
    for f in sys.argv[2:]:
        q = queried(f)
        used += len(q)
        gone = sorted(q - have)
        if gone:
            missing[f] = gone
    for f, names in missing.items():
        print("%s queries metrics /metrics does not have: %s" % (f, ", ".join(names)))
    print("metric_names: %d names queried, %d missing" % (used, sum(len(v) for v in missing.values())))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
