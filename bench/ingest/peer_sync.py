#!/usr/bin/env python3
"""The straightforward Python peer of `cwsync sync --once --full --entity quotes`.

What a reasonable 40-line script does with `requests` + `sqlite3`: page
/api/quotes (pageSize 1000, the same includeFields), fetch each page's items
with `idQuote in ("...")` in batches of 40 ids (the batches cwsync's
2000-character URL rule gives), and upsert the quotes and items of a page in
one transaction (WAL, synchronous=NORMAL, as cwsync). Same columns as the cache
tables, raw_json = json.dumps of the object. Used by bench/ingest/ingest_bench.py.

  peer_sync.py BASE_URL DB_PATH
"""
import json
import sqlite3
import sys

import requests

QUOTE_FIELDS = ("id,quoteNumber,quoteVersion,name,quoteStatus,quoteType,accountName,customer,"
                "isAccepted,isSent,isArchive,isLost,lostReason,wonOrLostDate,quoteTotal,subtotal,"
                "tax,grossMargin,probability,createDate,modifyDate,expirationDate,"
                "expectedCloseDate,crmOpportunityId,primaryRep,insideRep,zCustomText1,"
                "zCustomDecimal1,zCustomDate1")
Q = ["id", "quoteNumber", "quoteVersion", "name", "quoteStatus", "quoteType", "accountName",
     "isAccepted", "isSent", "isArchive", "isLost", "lostReason", "wonOrLostDate", "quoteTotal",
     "subtotal", "tax", "grossMargin", "probability", "createDate", "modifyDate",
     "expirationDate", "expectedCloseDate", "crmOpportunityId", "primaryRep", "insideRep"]
I = ["id", "idQuote", "idQuoteTabs", "itemNumber", "sortOrder", "shortDescription",
     "longDescription", "manufacturerPartNumber", "productType", "productClass", "quantity",
     "quoteItemPrice", "cost", "extendedPrice", "extendedCost", "grossMargin", "recurringAmount",
     "isOptional", "isSelected", "isPrinted", "isTaxable", "modifyDate"]


def table(db, name, cols):
    db.execute(f"CREATE TABLE IF NOT EXISTS {name} (tenant TEXT, {', '.join(cols)},"
               f" customer_id TEXT, raw_json TEXT, synced_at TEXT, PRIMARY KEY (tenant, id))")
    marks = ",".join("?" * (len(cols) + 4))
    sets = ",".join(f"{c}=excluded.{c}" for c in cols[1:] + ["customer_id", "raw_json", "synced_at"])
    return (f"INSERT INTO {name} VALUES ({marks}) ON CONFLICT (tenant, id) DO UPDATE SET {sets}")


def main():
    base, path = sys.argv[1], sys.argv[2]
    s = requests.Session()
    s.auth = ("cwsim+cwsim-public", "cwsim-private")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    up_q = table(db, "quotes", Q)
    up_i = table(db, "items", I)
    db.execute("CREATE INDEX IF NOT EXISTS items_by_quote ON items (tenant, idQuote)")
    page = 1
    while True:
        r = s.get(f"{base}/api/quotes", params={"includeFields": QUOTE_FIELDS, "page": page,
                                               "pageSize": 1000})
        r.raise_for_status()
        quotes = r.json()
        items = []
        for k in range(0, len(quotes), 40):
            ids = ",".join(f'"{q["id"]}"' for q in quotes[k:k + 40])
            ip = 1
            while True:
                ri = s.get(f"{base}/api/quoteItems", params={"conditions": f"idQuote in ({ids})",
                                                             "page": ip, "pageSize": 1000})
                ri.raise_for_status()
                batch = ri.json()
                items += batch
                if len(batch) < 1000:
                    break
                ip += 1
        db.execute("BEGIN IMMEDIATE")
        db.executemany(up_q, [["t"] + [q.get(c) for c in Q] + [
            (q.get("customer") or {}).get("id"), json.dumps(q), "now"] for q in quotes])
        db.executemany("DELETE FROM items WHERE tenant = 't' AND idQuote = ?",
                       [(q["id"],) for q in quotes])
        db.executemany(up_i, [["t"] + [i.get(c) for c in I] + [None, json.dumps(i), "now"]
                              for i in items])
        db.execute("COMMIT")
        if len(quotes) < 1000:
            break
        page += 1


if __name__ == "__main__":
    main()
