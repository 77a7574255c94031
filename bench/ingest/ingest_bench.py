#!/usr/bin/env python3
"""ingest_bench: CPU and memory of one full quote sync, cwsync against a
Python peer and a raw floor, all in the same run (ratios, not absolutes).

Starts cwsim (--quotes N, ~3 items each, no rate limit), then runs one after
the other against it:
  1. cwsync sync --once --full --entity quotes  (the shipped binary)
  2. bench/ingest/peer_sync.py                    (requests + sqlite3)
  3. ingest_floor on the same bodies, no HTTP    (parse + prepared upserts)
  4. ingest_floor --lean: the same into the peer's two-table schema (the least
     any SQLite client can spend storing these rows)
Each child's CPU (user+sys) comes from os.wait4 and its peak RSS from GNU time
(/usr/bin/time; wait4's ru_maxrss is floored at this script's own size, see
run()); cwsim's own CPU during each run is read from /proc and printed apart
(it is not counted).

With --latency-ms L (and --rate R), cwsim answers every CPQ request L ms late
and cwsync runs with a budget of R requests/s: it prints the wall time
against requests / R (goal: <= 1.2x).

  bench/ingest/ingest_bench.py [--build build/default] [--quotes 30000]
  bench/ingest/ingest_bench.py --quotes 2000 --latency-ms 600 --rate 5
  ... --baseline /path/to/older/cwsync    (the same sync with another build, same run)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_sync  # noqa: E402  (the QUOTE_FIELDS list the peer asks for)

AUTH = ("cwsim+cwsim-public", "cwsim-private")


def sim_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# A child's ru_maxrss starts at its parent's resident size: exec keeps the
# high-water mark of the address space it replaces, and this script (with
# requests imported) is ~30 MB, so wait4 alone reported max(30 MB, child).
# GNU time forks the child from its own ~1 MB process and reports its peak.
GNU_TIME = "/usr/bin/time"


def run(argv, sim_pid, out=subprocess.DEVNULL):
    timed = os.access(GNU_TIME, os.X_OK)
    rss_file = tempfile.NamedTemporaryFile(mode="r", suffix=".rss")
    if timed:
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name] + argv
    c0, t0 = sim_cpu(sim_pid), time.monotonic()
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)  # CPU includes time's child (RUSAGE_BOTH)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed ({status}):\n{err[-3000:]}")
    rss_kb = int(rss_file.read().split()[-1]) if timed else ru.ru_maxrss
    return {"cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime,
            "rss_mb": rss_kb / 1024, "wall": wall, "sim_cpu": sim_cpu(sim_pid) - c0}


def write_config(path, db, base, rate):
    with open(path, "w") as f:
        f.write(f"database: {db}\nlog: {{ level: warn, format: json }}\n"
                f"defaults:\n  page_size: 1000\ntenants:\n  - name: bench\n"
                f"    cpq:\n      base_url: {base}\n      access_key: cwsim\n"
                f"      public_key: cwsim-public\n      private_key: cwsim-private\n"
                f"      rate_limit: {{ requests: {rate}, per: 1s }}\n")
    os.chmod(path, 0o600)


def dump_bodies(base, path):
    """The bodies a sync reads: each quote page, then its item batches of 40."""
    s = requests.Session()
    s.auth = AUTH
    with open(path, "wb") as out:
        page = 1
        while True:
            r = s.get(f"{base}/api/quotes", params={"includeFields": peer_sync.QUOTE_FIELDS,
                                                   "page": page, "pageSize": 1000})
            out.write(b"Q %d\n" % len(r.content) + r.content)
            quotes = r.json()
            for k in range(0, len(quotes), 40):
                ids = ",".join(f'"{q["id"]}"' for q in quotes[k:k + 40])
                ri = s.get(f"{base}/api/quoteItems", params={"conditions": f"idQuote in ({ids})",
                                                             "page": 1, "pageSize": 1000})
                out.write(b"I %d\n" % len(ri.content) + ri.content)
            if len(quotes) < 1000:
                return
            page += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/default")
    ap.add_argument("--quotes", type=int, default=30000)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--baseline", help="another cwsync binary (e.g. a build of main) to run first")
    a = ap.parse_args()
    cwsync = os.path.join(a.build, "daemon/cwsync")
    cwsim = os.path.join(a.build, "tools/cwsim/cwsim")
    floor = os.path.join(a.build, "bench/ingest/ingest_floor")
    tmp = tempfile.mkdtemp(prefix="cwsync-ingest-")
    sim = subprocess.Popen([cwsim, "--quotes", str(a.quotes), "--threads", "8"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = f"http://127.0.0.1:{int(sim.stdout.readline())}"
        if a.latency_ms:
            requests.post(f"{base}/_sim/faults", json={"kind": "delay", "api": "cpq", "count": -1,
                                                       "delay_ms": a.latency_ms}).raise_for_status()
        rate = a.rate or 100000

        def sync(binary, label):
            cfg = os.path.join(tmp, label + ".yaml")
            write_config(cfg, os.path.join(tmp, label + ".db"), base, rate)
            with open(os.path.join(tmp, "report.json"), "w") as out:
                r = run([binary, "--config", cfg, "sync", "--once", "--full", "--entity", "quotes",
                         "--json"], sim.pid, out)
            with open(os.path.join(tmp, "report.json")) as f:
                r["calls"] = json.loads([l for l in f if l.startswith("[")][-1])[0]["api_calls"]
            print(f"{label:8s}: {r['wall']:6.2f} s wall, {r['cpu']:5.2f} s CPU ({r['user']:.2f} user "
                  f"+ {r['sys']:.2f} sys), peak RSS {r['rss_mb']:5.1f} MB, {r['calls']} requests; "
                  f"cwsim CPU {r['sim_cpu']:.2f} s (not counted)")
            if a.latency_ms:
                floor_s = r["calls"] / rate
                print(f"{'':8s}  wall / (requests / budget) = {r['wall']:.1f} / {floor_s:.1f} = "
                      f"{r['wall'] / floor_s:.2f}x (goal <= 1.2x)")
            return r

        print(f"ingest_bench: {a.quotes} quotes, cwsim latency {a.latency_ms} ms, "
              f"budget {rate:g} req/s")
        b = sync(a.baseline, "baseline") if a.baseline else None
        c = sync(cwsync, "cwsync")
        if b:
            print(f"vs base : CPU {c['cpu'] / b['cpu']:.2f}x, wall {c['wall'] / b['wall']:.2f}x, "
                  f"RSS {c['rss_mb'] / b['rss_mb']:.2f}x")
        if a.latency_ms:
            return
        p = run([sys.executable, os.path.join(HERE, "peer_sync.py"), base,
                 os.path.join(tmp, "peer.db")], sim.pid)
        print(f"python  : {p['wall']:6.2f} s wall, {p['cpu']:5.2f} s CPU ({p['user']:.2f} user "
              f"+ {p['sys']:.2f} sys), peak RSS {p['rss_mb']:5.1f} MB; "
              f"cwsim CPU {p['sim_cpu']:.2f} s (not counted)")
        dump = os.path.join(tmp, "bodies.dump")
        dump_bodies(base, dump)
        out = subprocess.run([floor, dump, os.path.join(tmp, "floor.db")], check=True,
                             capture_output=True, text=True).stdout
        f = json.loads(out)
        print(f"floor   : {f['cpu_s']:5.2f} s CPU (parse + prepared upserts of {f['quotes']} "
              f"quotes, {f['items']} items, no HTTP)")
        out = subprocess.run([floor, dump, os.path.join(tmp, "lean.db"), "--lean"], check=True,
                             capture_output=True, text=True).stdout
        lean = json.loads(out)
        print(f"lean    : {lean['cpu_s']:5.2f} s CPU (the same into the peer's schema: no pipeline "
              f"rows, search index or summaries)")
        per = 1e6 / a.quotes
        print(f"per quote (with items): cwsync {c['cpu'] * per:.0f} us, python {p['cpu'] * per:.0f} "
              f"us, floor {f['cpu_s'] * per:.0f} us, lean floor {lean['cpu_s'] * per:.0f} us CPU")
        print(f"bounds  : floor/python CPU = {f['cpu_s'] / p['cpu']:.2f}, lean floor/python CPU = "
              f"{lean['cpu_s'] / p['cpu']:.2f} (what cwsync/python could reach with no HTTP at all)")
        print(f"ratios  : cwsync/python CPU = {c['cpu'] / p['cpu']:.3f} (goal <= 0.10); "
              f"floor/cwsync CPU = {f['cpu_s'] / c['cpu']:.2f} (goal >= 0.50); "
              f"cwsync/python RSS = {c['rss_mb'] / p['rss_mb']:.2f} (goal <= 0.20)")
    finally:
        sim.terminate()
        sim.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
