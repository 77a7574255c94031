#!/usr/bin/env python3
"""Contract check: the exit codes the docs list are the ones the code defines.

The code's exit codes are its `constexpr int kExit... = N;` constants
(daemon/command.h, config/config.h); the commands return only those (a
literal `return N;` in daemon/main.cpp, command.cpp or cmd_*.cpp fails this
check, so the constants stay the whole list). The docs' lists:
- docs/operations.md "## Exit codes" table: exactly the code's codes;
- the exit column of its command table, and the "Exit codes:" lines of
  README.md and docs/*.md: only codes the code defines.

Usage: check_exit_codes.py SOURCE_DIR
"""
import os
import re
import sys

REFERENCE = "docs/operations.md"


def main():
    src = sys.argv[1]
    problems = []
    codes = {}
    for d in ("daemon", "config", "base"):
        for f in sorted(os.listdir(os.path.join(src, d))):
            if not f.endswith(".h"):
                continue
            text = open(os.path.join(src, d, f)).read()
            for name, value in re.findall(r"constexpr int (kExit\w+) = (\d+);", text):
                codes.setdefault(int(value), []).append("%s (%s/%s)" % (name, d, f))
    if not codes:
        sys.exit("found no kExit constants: the pattern is broken")
    for f in ["main.cpp", "command.cpp"] + sorted(
            f for f in os.listdir(os.path.join(src, "daemon")) if f.startswith("cmd_")):
        for n, line in enumerate(open(os.path.join(src, "daemon", f)).read().split("\n"), 1):
            if re.search(r"\breturn -?\d+;", line):
                problems.append("daemon/%s:%d: a literal exit code; return a kExit constant "
                                "(the docs' exit codes are checked against them)" % (f, n))

    lines = open(os.path.join(src, REFERENCE)).read().split("\n")
    table, section = {}, None
    for n, line in enumerate(lines, 1):
        if line.startswith("## "):
            section = line
            continue
        if section == "## Exit codes":
            m = re.match(r"^\| (\d+) \|", line)
            if m:
                table[int(m.group(1))] = n
        if section == "## The command line" and line.startswith("| `"):
            last = line.strip().strip("|").split("|")[-1]
            for c in re.findall(r"\d+", last):
                if int(c) not in codes:
                    problems.append("%s:%d: exit code %s in the command table is not one the "
                                    "code defines" % (REFERENCE, n, c))
    if not table:
        problems.append("%s: found no \"## Exit codes\" table" % REFERENCE)
    for c, where in sorted(codes.items()):
        if c not in table:
            problems.append("%s: exit code %d (%s) is not in the \"## Exit codes\" table"
                            % (REFERENCE, c, ", ".join(where)))
    for c, n in sorted(table.items()):
        if c not in codes:
            problems.append("%s:%d: exit code %d is documented but the code defines no such "
                            "exit code" % (REFERENCE, n, c))

    files = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(src, "docs"))
                                   if f.endswith(".md"))
    for file in files:
        for n, line in enumerate(open(os.path.join(src, file)).read().split("\n"), 1):
            m = re.search(r"Exit codes(?: everywhere)?: (.*)", line)
            if not m:
                continue
            for c in re.findall(r"(?<![\w.-])`?(\d+)`? (?=[a-z(])", m.group(1)):
                if int(c) not in codes:
                    problems.append("%s:%d: exit code %s is documented but the code defines "
                                    "no such exit code" % (file, n, c))
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("exit codes %s, all in the %s table" %
              (", ".join(str(c) for c in sorted(codes)), REFERENCE))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
