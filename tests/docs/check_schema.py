#!/usr/bin/env python3
"""Contract check: docs/schema.md names every table, view and column of a
freshly migrated database, and everything it documents exists.

The database comes from the built binary (`cwsync migrate` on a temporary
file) and is read with Python's sqlite3 module. SQLite's own tables
(sqlite_*) and FTS5's shadow tables (`search_data`, ...) are not cwsync's
schema and are left out.

What counts as documented, following docs/schema.md's own conventions:
- a table or view with its own `### \`name\`` section: each of its columns is
  named in backticks in that section (a column table, a `Columns:` list or the
  prose); "All `X` columns" / "The `X` columns" there take X's columns;
- any other table is named in backticks in a section that says it is
  internal (`search_keys`, `cpq_pipeline_values`, ...); its columns are not.
And the other way: every `### \`name\`` section under "## Tables" and
"## Views", every name in the first column of a "| table |" list, every
column in a section's "| column |" table and `Columns:` list exists.

Usage: check_schema.py SOURCE_DIR CWSYNC_BINARY
"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

DOC = "docs/schema.md"
FTS5_SHADOW = ("data", "idx", "content", "docsize", "config")


def migrated_schema(binary):
    """{name: (type, [columns])} of a database `cwsync migrate` just created."""
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "cwsync.yaml")
        with open(config, "w") as f:
            f.write("database: cache.db\n"
                    "tenants:\n"
                    "  - name: schema\n"
                    "    cpq: { access_key: a, public_key: b, private_key: c }\n")
        os.chmod(config, 0o600)
        p = subprocess.run([binary, "migrate", "--config", config], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            sys.exit("cwsync migrate failed (exit %d):\n%s%s" % (p.returncode, p.stdout, p.stderr))
        db = sqlite3.connect(os.path.join(tmp, "cache.db"))
        rows = db.execute("SELECT type, name, sql FROM sqlite_master "
                          "WHERE type IN ('table', 'view')").fetchall()
        virtual = {name for _, name, sql in rows
                   if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
        shadow = {v + "_" + s for v in virtual for s in FTS5_SHADOW}
        schema = {}
        for kind, name, _ in rows:
            if name.startswith("sqlite_") or name in shadow:
                continue
            cols = [r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (name,))]
            schema[name] = (kind, cols)
        db.close()
    if not schema:
        sys.exit("cwsync migrate created no tables: the check is broken")
    return schema


class Section:
    def __init__(self, title, line, chapter):
        self.title, self.line, self.chapter = title, line, chapter
        m = re.match(r"^`([a-z_0-9]+)`", title)
        self.name = m.group(1) if m else None
        self.text = []  # (line number, text)

    def body(self):
        return "\n".join(t for _, t in self.text)


def sections(src):
    out = []
    chapter = None
    current = Section("", 0, None)
    out.append(current)
    in_code = False
    for n, line in enumerate(open(os.path.join(src, DOC)).read().split("\n"), 1):
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and re.match(r"^#{2,3} ", line):
            if line.startswith("## "):
                chapter = line[3:].strip()
            current = Section(re.sub(r"^#+ ", "", line), n, chapter)
            out.append(current)
            continue
        current.text.append((n, line))
    return out


def ticked(text):
    return set(re.findall(r"`([a-z_][a-z_0-9]*)`", text))


def documented_columns(sec):
    """[(line, column)] the section documents as columns: its "| column |"
    tables' first cells and its `Columns:` lists."""
    out = []
    in_table = False
    for n, line in sec.text:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not in_table:
                in_table = cells[0] in ("column", "columns")
                continue
            if set(cells[0]) <= set("-: "):
                continue
            out.extend((n, c) for c in re.findall(r"`([a-z_0-9]+)`", cells[0]))
        else:
            in_table = False
    body = sec.text
    for i, (n, line) in enumerate(body):
        if line.startswith("Columns:"):
            text = line
            j = i
            while "." not in re.sub(r"`[^`]*`", "", text.split("Columns:", 1)[1]) and \
                    j + 1 < len(body) and body[j + 1][1].strip():
                j += 1
                text += " " + body[j][1]
            listed = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(".", ""),
                            text.split("Columns:", 1)[1])
            listed = re.sub(r"\([^)]*\)", "", listed.split(".")[0])  # "(always `open`)"
            out.extend((n, c) for c in re.findall(r"`([a-z_0-9]+)`", listed))
    return out


def main():
    src, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    schema = migrated_schema(binary)
    secs = sections(src)
    own = {s.name: s for s in secs if s.name and s.chapter in ("Tables", "Views: the dashboard's API")}
    problems = []

    def columns_named_in(sec, seen=()):
        names = ticked(sec.body())
        for other in re.findall(r"(?:All|The) `([a-z_0-9]+)` columns", sec.body()):
            if other in own and other not in seen:
                names |= columns_named_in(own[other], seen + (sec.name,))
        return names

    # The database -> the docs.
    for name, (kind, cols) in sorted(schema.items()):
        if name in own:
            named = columns_named_in(own[name])
            for c in cols:
                if c not in named:
                    problems.append("%s:%d: column '%s.%s' of %s '%s' in a migrated database is "
                                    "not documented in its section" % (DOC, own[name].line, name,
                                                                       c, kind, name))
            continue
        internal = [s for s in secs if "`%s`" % name in s.body() and "internal" in s.body()]
        if not internal:
            problems.append("%s: %s '%s' in a migrated database is not documented (give it a "
                            "### section, or name it where the docs say it is internal)"
                            % (DOC, kind, name))

    # The docs -> the database.
    for name, sec in sorted(own.items()):
        if name not in schema:
            problems.append("%s:%d: '%s' is documented but a migrated database has no such "
                            "table or view" % (DOC, sec.line, name))
            continue
        cols = schema[name][1]
        for n, c in documented_columns(sec):
            if c not in cols:
                problems.append("%s:%d: column '%s.%s' is documented but '%s' has no such column"
                                % (DOC, n, name, c, name))
    for sec in secs:
        in_table = False
        for n, line in sec.text:
            if not line.startswith("|"):
                in_table = False
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not in_table:
                in_table = cells[0] == "table"
                continue
            if set(cells[0]) <= set("-: "):
                continue
            for t in re.findall(r"`([a-z_0-9]+)`", cells[0]):
                if t not in schema:
                    problems.append("%s:%d: table '%s' is documented but a migrated database "
                                    "has no such table or view" % (DOC, n, t))
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("%d tables and views, %d columns, all documented in %s"
              % (len(schema), sum(len(c) for _, c in schema.values()), DOC))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
