#!/usr/bin/env python3
"""doc_metrics.py SOURCE_DIR — the metrics the documents name are the metrics
the programs expose, both ways:
 - every `antt_...` name in backquotes in README.md, NEWS.md, docs/*.md and
   tests/README.md is a metric that anttd or anttweb declares (a "# TYPE" line
   in daemon/, web/ or net/), unless it is one of the other kinds of names the
   documents speak of: a C name of a header (libantt's API and the rest), a
   name of the migrations (a role, a NOTIFY channel), a CMake library, or one
   of the names listed in OTHER;
 - every declared metric is in docs/operations.md (its tables of metrics).
Exit 1 with what is wrong, 0 when both hold. A source tree where no metric or
no document is found fails too: a check that finds nothing proves nothing."""
import glob
import os
import re
import sys

# Names of antt_ that are not metrics and are found nowhere below: the
# console's cookies (strings of web/server.c).
OTHER = {"antt_device", "antt_session"}
HISTOGRAM = ("_bucket", "_sum", "_count")
QUOTED = re.compile(r"`([^`\n]+)`")
NAME = re.compile(r"\bantt_[a-z0-9_]+\b(?!\s*\()")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def declared(root):
    names = set()
    for folder in ("daemon", "web", "net"):
        for path in glob.glob(os.path.join(root, folder, "**", "*.c"), recursive=True):
            names.update(re.findall(r"# TYPE (antt_[a-z0-9_]+)", read(path)))
    return names


def not_metrics(root):
    names = set(OTHER)
    # functions and types of C headers, wherever they live (libantt's API)
    for header in glob.glob(os.path.join(root, "**", "*.h"), recursive=True):
        if not os.path.relpath(header, root).startswith("build"):  # not a build tree's copy
            names.update(re.findall(r"\bantt_[a-z0-9_]+", read(header)))
    for sql in glob.glob(os.path.join(root, "db", "**", "*.sql"), recursive=True):
        names.update(re.findall(r"\bantt_[a-z0-9_]+", read(sql)))
    for cmake in glob.glob(os.path.join(root, "**", "CMakeLists.txt"), recursive=True):
        names.update(re.findall(r"add_library\((antt_[a-z0-9_]+)", read(cmake)))
    return names


def documents(root):
    paths = [os.path.join(root, "README.md"), os.path.join(root, "NEWS.md"),
             os.path.join(root, "tests", "README.md")]
    paths += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    return [p for p in paths if os.path.exists(p)]


def named(text):
    """antt_ names inside backquotes, not called as functions."""
    out = set()
    for span in QUOTED.findall(text):
        out.update(NAME.findall(span))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    metrics = declared(root)
    others = not_metrics(root)
    docs = documents(root)
    problems = []
    if len(metrics) < 10:
        problems.append("only %d metrics declared in daemon/, web/, net/: the search is broken"
                        % len(metrics))
    if not any(p.endswith(os.path.join("docs", "operations.md")) for p in docs):
        problems.append("docs/operations.md is missing")
    seen = 0
    for path in docs:
        for name in sorted(named(read(path)) - others):
            seen += 1
            base = name
            for suffix in HISTOGRAM:
                if name.endswith(suffix) and name[: -len(suffix)] in metrics:
                    base = name[: -len(suffix)]
            if base not in metrics:
                problems.append("%s names %s, which no program exposes"
                                % (os.path.relpath(path, root), name))
    ops = os.path.join(root, "docs", "operations.md")
    listed = named(read(ops)) if os.path.exists(ops) else set()
    for name in sorted(metrics - listed):
        problems.append("docs/operations.md does not list %s" % name)
    for p in problems:
        print("doc_metrics: " + p)
    print("doc_metrics: %d metrics exposed, %d names of metrics in %d documents, %d problems"
          % (len(metrics), seen, len(docs), len(problems)))
    return 1 if problems or not seen else 0


if __name__ == "__main__":
    sys.exit(main())
