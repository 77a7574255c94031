#!/usr/bin/env python3
"""Contract check: every config key the loader accepts is documented in
docs/config.md's key tables, and every key those tables name is accepted.

The accepted keys come from the loader itself: `cwsync check-config` on a
file that puts an unknown key into every map answers "unknown key; expected
one of: ..." with that map's key list. Each listed key is then probed as a
map (and as a list of maps) to find the next level, until nothing new turns
up. `psa` is probed once more with `provider: autotask`, which selects
another key list.

Usage: check_config_keys.py SOURCE_DIR CWSYNC_BINARY
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BOGUS = "x9" * 20  # no known key is a plausible typo of it, so the loader lists them all
DOC = "docs/config.md"

# The sections whose choice key selects another key list: (map path, key, value).
VARIANTS = [("tenants.psa", "provider", "autotask")]


def norm(path):
    """tenants[0].psa.rate_limit -> tenants.psa.rate_limit"""
    return re.sub(r"\[\d*\]", "", path)


def set_in(doc, path, value):
    """Puts value at path (a tuple of keys and '[]' list steps) into doc."""
    node = doc
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if step == "[]":
            if not node:
                node.append({})
            if last:
                node[0] = value
            node = node[0]
            continue
        if last:
            node[step] = value
        else:
            nxt = path[i + 1]
            node = node.setdefault(step, [] if nxt == "[]" else {})


def run_check_config(binary, doc, tmp):
    path = os.path.join(tmp, "probe.yaml")
    with open(path, "w") as f:
        json.dump(doc, f)  # JSON is YAML
    os.chmod(path, 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTWISE_")}
    p = subprocess.run([binary, "check-config", "--config", path], capture_output=True,
                       text=True, env=env, cwd=tmp, timeout=30)
    return p.stdout + p.stderr


def probe(binary, tmp, fixed, start=()):
    """Every key path the loader accepts under `start`, as {normalized path:
    is_map}. `fixed` maps a path tuple to a value kept in every probe (a
    variant)."""
    accepted = {}
    maps = {}             # tuple path -> [keys]
    frontier = [start]    # paths to probe as maps
    lists = []       # paths to probe as lists of maps
    while frontier or lists:
        doc = {}
        for path, value in fixed.items():
            if value is not None:
                set_in(doc, path, value)
        for path in frontier:
            set_in(doc, path + (BOGUS,), 1)
        for path in lists:
            set_in(doc, path + ("[]", BOGUS), 1)
        out = run_check_config(binary, doc, tmp)
        found = {}
        for m in re.finditer(r"^[^\n]*?: ([^\s:]*)" + BOGUS +
                             r": unknown key; expected one of: ([^\n]*)$", out, re.M):
            parent = m.group(1).rstrip(".")
            found[norm(parent)] = [k.strip() for k in m.group(2).split(",")]
        probed, frontier, lists = frontier + [p + ("[]",) for p in lists], [], []
        for path in probed:
            key = ".".join(s for s in path if s != "[]")
            if key in found:
                maps[path] = found[key]
                for k in found[key]:
                    child = path + (k,)
                    if child in fixed:
                        accepted[".".join(s for s in child if s != "[]")] = False
                        continue
                    frontier.append(child)
            elif path and path[-1] != "[]":
                lists.append(path)  # not a map: maybe a list of maps
            if path:
                accepted.setdefault(key, False)
        for path in maps:
            key = ".".join(s for s in path if s != "[]")
            if key:
                accepted[key] = True
        if not maps:
            sys.exit("cwsync check-config listed no keys: the probe is broken:\n" + out)
    return accepted


def key_sources(src):
    """key name -> config/*.cpp files whose `const Keys` lists hold it."""
    where = {}
    for name in sorted(os.listdir(os.path.join(src, "config"))):
        if not name.endswith(".cpp"):
            continue
        text = open(os.path.join(src, "config", name)).read()
        for lst in re.finditer(r"const Keys \w+ = \{([^}]*)\}", text):
            for k in re.findall(r'"([^"]+)"', lst.group(1)):
                files = where.setdefault(k, [])
                if "config/" + name not in files:
                    files.append("config/" + name)
    return where


def documented(src):
    """{normalized path: line} of every key docs/config.md's key tables name."""
    doc = {}
    prefix = None
    aliases = []  # (path, path whose keys it takes)
    lines = open(os.path.join(src, DOC)).read().split("\n")
    in_table = False
    for n, line in enumerate(lines, 1):
        h = re.match(r"^#{2,4} (.*)$", line)
        if h:
            title = h.group(1)
            prefix = None
            if title == "Top level":
                prefix = ""
            else:
                m = re.match(r"^`([a-z_\[\].]+)`(?: with `(\w+): (\w+)`)?$", title)
                if m:
                    prefix = norm(m.group(1))
                    if m.group(2):
                        # The selector key counts for the default variant too (the text says so).
                        doc.setdefault(prefix + "." + m.group(2), n)
                        prefix += "{%s=%s}" % (m.group(2), m.group(3))
            in_table = False
            continue
        if prefix is None or not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:
            in_table = cells[0] == "key"  # a key table's header
            continue
        if set(cells[0]) <= set("-"):
            continue
        names = re.findall(r"`([^`]+)`", cells[0])
        keys = []
        for name in names:
            if name.startswith(".") and keys:
                name = keys[-1].rsplit(".", 1)[0] + name
            keys.append(name)
        for k in keys:
            path = (prefix + "." if prefix else "") + k
            doc.setdefault(path, n)
            # A type like `{ note_type, publish }` names the map's own keys.
            t = re.match(r"^`?\{\s*([a-z_, ]+)\}`?$", cells[1]) if len(cells) > 1 else None
            if t:
                for child in t.group(1).split(","):
                    doc.setdefault(path + "." + child.strip(), n)
            same = re.search(r"Same keys as `([a-z_.]+)`", line)
            if same:
                aliases.append((path, same.group(1)))
    for path, other in aliases:
        for k, n in list(doc.items()):
            if k.startswith(other + "."):
                doc.setdefault(path + k[len(other):], n)
    return doc


def main():
    src, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        # The selector stays unset (its default) while the default variant is probed:
        # probed as a map, it would be invalid and the section would not be read.
        steps_of = {v[0]: tuple(s for part in v[0].split(".")
                                for s in ([part, "[]"] if part == "tenants" else [part]))
                    for v in VARIANTS}
        accepted = probe(binary, tmp, {steps_of[m] + (k,): None for m, k, _ in VARIANTS})
        for map_path, key, value in VARIANTS:
            steps = steps_of[map_path]
            extra = probe(binary, tmp, {steps + (key,): value}, steps)
            tag = "%s{%s=%s}" % (map_path, key, value)
            for path, is_map in extra.items():
                if path.startswith(map_path + "."):
                    accepted[tag + path[len(map_path):]] = is_map
    doc = documented(src)
    sources = key_sources(src)

    def display(path):
        return re.sub(r"\{(\w+)=(\w+)\}", r" (\1: \2)", path)

    status = 0
    for path in sorted(accepted):
        if accepted[path]:
            continue  # a map: documented through its keys (or a row of its own)
        if path not in doc:
            leaf = path.rsplit(".", 1)[-1]
            where = ", ".join(sources.get(leaf, [])) or "the loader"
            print("%s: key '%s' accepted by %s is not documented" % (DOC, display(path), where),
                  file=sys.stderr)
            status = 1
    for path, n in sorted(doc.items(), key=lambda kv: kv[1]):
        if path not in accepted:
            print("%s:%d: key '%s' is documented but the loader does not accept it "
                  "(cwsync check-config calls it an unknown key)" % (DOC, n, display(path)),
                  file=sys.stderr)
            status = 1
    if status == 0:
        print("%d config keys accepted by the loader, all documented in %s" %
              (sum(1 for v in accepted.values() if not v), DOC))
    return status


if __name__ == "__main__":
    sys.exit(main())
