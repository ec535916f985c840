#!/usr/bin/env python3
"""doc_map.py SOURCE_DIR — the map (docs/ARCHITECTURE.md) and each folder's
README.md name things that exist:
 - every path in backquotes that names a file or folder of ours (`daemon/loop.c`,
   `db/schema/`) exists in the tree;
 - every function ARCHITECTURE.md names (a backquoted lower-case name, e.g.
   `store_commit`, `drain`, or `card()` for the page's JavaScript) is defined:
   in some .c file (a name followed by "(" at the start of a line or after a
   type: a definition, not merely a mention), or for NAME() in
   web/static/app.js as `function NAME(`; the few backquoted words that are not
   functions (settings, types, programs) and the names of functions before
   December 2026 that the walks mention as such are listed below. It does not
   check that a function is in the very file the walk names;
 - every .c and .h file directly in a folder that has a README.md is named in
   it (so a new source file is not left off the folder's list; other files
   and subfolders are not checked).
Exit 1 naming what is wrong. A tree where none of this is found fails too."""
import glob
import os
import re
import sys

QUOTED = re.compile(r"`([^`\n]+)`")
FOLDERS = ("proto", "net", "rules", "lib", "db", "cmd", "report", "cli", "daemon", "web",
           "data", "deploy", "tests", "docs", "cmake")
C_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
JS_NAME = re.compile(r"^([a-z_][A-Za-z0-9_]*)\(\)$")
# backquoted lower-case words of the map that are not functions of ours:
# programs, settings, types, fields, C keywords and the C library
NOT_FUNCTIONS = {"antt", "anttd", "anttweb", "antt_tally", "batch_max_ms", "reject_raw_max",
                 "store_work_t", "case_kind_t", "unit_versions", "event_ids", "unit_scope",
                 "rates_many", "node_status", "useq", "if", "snprintf", "store_connections"}
# functions the walks name as they were called before December 2026 (flush_oldest: before
# issue 26)
FORMER = {"turn", "admit", "presence_seen", "ensure_db", "answer", "flush_oldest"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main(root):
    problems = []
    arch = os.path.join(root, "docs", "ARCHITECTURE.md")
    readmes = [p for p in (os.path.join(root, f, "README.md") for f in FOLDERS) if os.path.exists(p)]
    if not os.path.exists(arch) or len(readmes) < 8:
        print("doc_map: docs/ARCHITECTURE.md or the folders' READMEs are missing")
        return 1
    sources = {}
    for path in glob.glob(os.path.join(root, "*", "**", "*.c"), recursive=True):
        if "/build" in os.path.relpath(path, root).split(os.sep)[0]:
            continue
        sources[path] = read(path)
    if not sources:
        print("doc_map: no C source found")
        return 1
    defined = set()
    for text in sources.values():
        defined.update(re.findall(r"^(?:[A-Za-z_][\w \*]*[\s\*])?([a-z_][a-z0-9_]*)\(", text, re.M))

    paths_checked = functions_checked = 0
    for doc in [arch] + readmes:
        here = os.path.dirname(doc)
        for q in QUOTED.findall(read(doc)):
            q = q.strip()
            head = q.split("/")[0]
            if "/" in q and head in FOLDERS and re.match(r"^[\w./-]+$", q):
                paths_checked += 1
                if not os.path.exists(os.path.join(root, q)):
                    problems.append(f"{os.path.relpath(doc, root)}: `{q}` does not exist")
    page = read(os.path.join(root, "web", "static", "app.js"))
    for q in set(QUOTED.findall(read(arch))):
        name = q.strip()
        js = JS_NAME.match(name)
        if js and js.group(1) in FORMER | {"answer"}:
            continue
        if js:
            functions_checked += 1
            if not re.search(r"\bfunction " + re.escape(js.group(1)) + r"\(", page):
                problems.append(f"docs/ARCHITECTURE.md: `{name}` is not a function of the page")
        elif C_NAME.match(name) and name not in NOT_FUNCTIONS | FORMER:
            functions_checked += 1
            if name not in defined:
                problems.append(f"docs/ARCHITECTURE.md: `{name}` is not a function of ours")
    for doc in readmes:
        folder = os.path.dirname(doc)
        text = read(doc)
        for path in sorted(glob.glob(os.path.join(folder, "*.[ch]"))):
            base = os.path.basename(path)
            stem = os.path.splitext(base)[0]
            # "`foo.c/h`" names both halves of a pair
            if base not in text and f"{stem}.c/h" not in text:
                problems.append(f"{os.path.relpath(doc, root)} does not name {base}")
    if paths_checked < 20 or functions_checked < 20:
        problems.append(f"doc_map: only {paths_checked} paths and {functions_checked} functions "
                        "found: the check is not reading the documents")
    for p in problems:
        print(p)
    if not problems:
        print(f"doc_map: {paths_checked} paths and {functions_checked} functions named, all exist; "
              f"{len(readmes)} folder READMEs name their files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
