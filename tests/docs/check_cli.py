#!/usr/bin/env python3
"""Contract check: every command and option the built `cwsync` accepts is in
the command-line reference, and every documented command and option exists.

The binary answers for itself: `cwsync --help` and `cwsync CMD... --help`
(CLI11) list the subcommands and options, recursively.

The reference is docs/operations.md's "The command line" section (its
synopsis block and command table) plus the `cwsync ...` command lines in code
blocks of docs/*.md (docs/queue.md gives the enqueue and queue flags that the
table leaves to it). Every `cwsync ...` usage anywhere in docs/*.md and
README.md (code blocks, inline code, README's command table) must name
commands and options that exist.

Not checked: short aliases (-c for --config) and positional argument names
(`show ID`: the docs name them by placeholder).

Usage: check_cli.py SOURCE_DIR CWSYNC_BINARY
"""
import os
import re
import subprocess
import sys

REFERENCE = "docs/operations.md"
SECTION = "## The command line"
IGNORED = {"--help"}  # every command has it (CLI11)


def ask(binary, path):
    out = subprocess.run([binary, *path, "--help"], capture_output=True, text=True,
                         timeout=30)
    if out.returncode != 0:
        sys.exit("`cwsync %s --help` exited %d:\n%s" % (" ".join(path), out.returncode,
                                                        out.stderr))
    return out.stdout


def binary_tree(binary):
    """{command path tuple: set of long options}; () holds the global options."""
    tree = {}
    todo = [()]
    while todo:
        path = todo.pop()
        text = ask(binary, path)
        section = None
        opts, subs = set(), []
        for line in text.split("\n"):
            if re.match(r"^[A-Z][A-Za-z ]*:$", line):
                section = line[:-1]
                continue
            if section == "Options":
                m = re.match(r"^  (\S+)", line)
                if m:
                    opts |= {o for o in m.group(1).split(",") if o.startswith("--")}
            elif section == "Subcommands":
                m = re.match(r"^  ([a-z][a-z0-9-]*)\s", line)
                if m:
                    subs.append(m.group(1))
        tree[path] = {re.sub(r"[ =:].*", "", o) for o in opts} - IGNORED
        todo.extend(path + (s,) for s in subs)
    if len(tree) < 2:
        sys.exit("cwsync --help listed no subcommands: the help parser is broken:\n" + text)
    return tree


class Usage:
    """One documented command line: `cwsync [globals] CMD [SUB] [--opt ...]`."""

    def __init__(self, file, line, commands, options, every_command=()):
        self.file, self.line = file, line
        self.commands = commands  # list of command path tuples (alternatives)
        self.options = options
        # The synopsis's `COMMAND [--json]`: for the commands that take it (the text
        # says which), so it is not checked against each command.
        self.every_command = every_command


def parse_usage(text, file, line, tree, problems):
    """A usage text after `cwsync ` (or a table cell, which omits it)."""
    text = re.sub(r"\\\|", "|", text)
    words = text.split()
    # A shell line ends at a comment, a pipe or a redirection.
    for i, w in enumerate(words):
        if w.startswith("#") or w in ("|", "||", "&&", ";") or w.startswith(">"):
            words = words[:i]
            break
    options = [re.sub(r"[=\]\)`'\",.;]+.*$", "", o)
               for o in re.findall(r"(?:^|[\s\[(])(--[a-z][a-z0-9-]*)", " ".join(words))]
    # Skip global options (and their values) before the command.
    i = 0
    while i < len(words) and words[i].lstrip("[").startswith("-"):
        takes_value = not words[i].endswith("]") and i + 1 < len(words) and \
            not words[i + 1].startswith("-") and words[i].lstrip("[") in tree[()]
        i += 2 if takes_value else 1
    rest = words[i:]
    if not rest or not re.match(r"^[a-z][a-z0-9|-]*$", rest[0]):
        # The synopsis (`cwsync [OPTIONS] COMMAND [--json]`): the global options only.
        after = len(re.findall(r"(?:^|[\s\[(])--[a-z]", " ".join(rest)))
        return Usage(file, line, [()], options[:len(options) - after],
                     options[len(options) - after:])
    head = rest[0]
    paths = [(c,) for c in head.split("|")]
    for p in paths:
        if p not in tree:
            problems.append("%s:%d: command '%s' is documented but cwsync has no such command"
                            % (file, line, p[0]))
            return None
    # Subcommands: `queue list|show ID|requeue ID|purge ...`, `enqueue note|status|time`.
    if len(paths) == 1 and any(k[:1] == paths[0] and len(k) == 2 for k in tree):
        tail = " ".join(rest[1:])
        tail = re.split(r"\s(?=\[|--)", " " + tail)[0] if tail else ""
        subs = []
        for alt in re.split(r"[|/]", tail):
            alt = alt.strip()
            w = alt.split()[0] if alt.split() else ""
            if re.match(r"^[a-z][a-z0-9-]*$", w):
                subs.append(w)
        if subs:
            for s in subs:
                if paths[0] + (s,) not in tree:
                    problems.append("%s:%d: command '%s %s' is documented but cwsync has no "
                                    "such command" % (file, line, paths[0][0], s))
            paths = [paths[0] + (s,) for s in subs if paths[0] + (s,) in tree]
    return Usage(file, line, paths, options)


def doc_usages(src, tree, problems):
    """(reference usages, every usage) found in the docs."""
    reference, everything = [], []
    files = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(src, "docs"))
                                   if f.endswith(".md"))
    for file in files:
        lines = open(os.path.join(src, file)).read().split("\n")
        in_code = False
        section = None
        pending = None  # a code line continued with a trailing backslash
        command_table = False
        for n, line in enumerate(lines, 1):
            if line.startswith("## "):
                section = line
            if line.lstrip().startswith("```"):
                in_code = not in_code
                continue
            found = []
            if in_code:
                text = line.strip()
                m = re.match(r"^(?:\$ )?cwsync (.*)$", text)
                if pending is not None:
                    start, acc = pending
                    acc += " " + text.rstrip("\\")
                    pending = (start, acc) if text.endswith("\\") else None
                    if pending is None:
                        found.append((start, acc))
                elif m and text.endswith("\\"):
                    pending = (n, m.group(1).rstrip("\\"))
                elif m:
                    found.append((n, m.group(1)))
            else:
                for m in re.finditer(r"`cwsync ([^`]*)`", line):
                    found.append((n, m.group(1)))
                # In the reference section, `enqueue note --text "..."` (no `cwsync`) too.
                if file == REFERENCE and section == SECTION and not line.startswith("|"):
                    for m in re.finditer(r"`([a-z][a-z0-9-]* [^`]*--[^`]*)`", line):
                        if (m.group(1).split()[0],) in tree:
                            found.append((n, m.group(1)))
                # A command table (header `| command |`): its first cell is the
                # usage without `cwsync`.
                if not line.startswith("|"):
                    command_table = False
                elif re.match(r"^\| *command *\|", line):
                    command_table = True
                elif command_table and line.startswith("| `"):
                    first = re.split(r"(?<!\\)\|", line.strip()[1:])[0]
                    for cell in re.findall(r"`([^`]+)`", first):
                        u = parse_usage(cell, file, n, tree, problems)
                        if u:
                            everything.append(u)
                            if file == REFERENCE and section == SECTION:
                                reference.append(u)
            for start, text in found:
                u = parse_usage(text, file, start, tree, problems)
                if u is None:
                    continue
                everything.append(u)
                if (in_code and file != REFERENCE) or (file == REFERENCE and section == SECTION):
                    reference.append(u)
    return reference, everything


def main():
    src, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    tree = binary_tree(binary)
    problems = []
    reference, everything = doc_usages(src, tree, problems)

    # Documented options exist (for that command, or globally).
    for u in everything:
        for path in u.commands:
            for o in u.options:
                if o not in tree[path] and o not in tree[()] and o not in IGNORED:
                    problems.append("%s:%d: option '%s' of '%s' is documented but "
                                    "`cwsync %s --help` does not list it"
                                    % (u.file, u.line, o, " ".join(("cwsync",) + path),
                                       " ".join(path)))
    # Every command and option is in the reference.
    ref_cmds = {p for u in reference for p in u.commands}
    ref_opts = {}
    every_command = {o for u in reference for o in u.every_command}
    for p in tree:
        if p:
            ref_opts[p] = set(every_command)
    for u in reference:
        for p in u.commands:
            ref_opts.setdefault(p, set()).update(u.options)
    for path in sorted(tree):
        if not path:
            continue
        parent_documented = len(path) > 1 and path[:-1] in ref_cmds
        has_subs = any(k[:len(path)] == path and len(k) > len(path) for k in tree)
        if path not in ref_cmds and not has_subs:
            what = "command '%s'" % " ".join(path)
            problems.append("%s: %s accepted by cwsync is not documented%s"
                            % (REFERENCE, what, " (its parent is)" if parent_documented else ""))
    for path in sorted(tree):
        for o in sorted(tree[path]):
            if o not in ref_opts.get(path, set()):
                where = "cwsync %s" % " ".join(path) if path else "cwsync (global)"
                problems.append("%s: option '%s' of '%s' accepted by cwsync is not documented "
                                "(add it to the command table under \"%s\", or to a "
                                "`cwsync %s ...` line in a code block of docs/*.md)"
                                % (REFERENCE, o, where, SECTION.lstrip("# "),
                                   " ".join(path) or "[OPTIONS] COMMAND"))
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("%d commands and %d options of cwsync, all documented"
              % (len(tree) - 1, sum(len(v) for v in tree.values())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
