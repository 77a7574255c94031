// Migration 1, views: the dashboard's API. FROZEN once released. "now" in
// a view is SQLite's real clock (julianday('now'), UTC); the C++ read helpers
// in cache_queries.cpp run the same SQL with an injected `now` instead.
#include "storage/schema_sql.h"

namespace cwsync::storage::detail {

const char* const kSchemaV1Views = R"SQL(
-- The newest live version of every quote number.
CREATE VIEW cpq_quote_latest AS
SELECT q.*
FROM cpq_quotes q
WHERE q.deleted_at IS NULL
  AND q.quote_version = (SELECT MAX(q2.quote_version) FROM cpq_quotes q2
                         WHERE q2.tenant = q.tenant AND q2.quote_number = q.quote_number
                           AND q2.deleted_at IS NULL);

-- Every live pipeline item with its effective value. Source psa: the sum of
-- quote_total over the latest versions linked by crm_opportunity_id (0 when
-- none). Source quotes: the stored value.
CREATE VIEW cpq_pipeline_items AS
SELECT o.tenant, o.id, o.source, o.name, o.client_name, o.status, o.status_name, o.stage_name,
       o.probability,
       CASE o.source
         WHEN 'psa' THEN COALESCE((SELECT SUM(l.quote_total) FROM cpq_quote_latest l
                                   WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id), 0.0)
         ELSE COALESCE(o.value, 0.0)
       END AS value,
       o.expected_close_date, o.closed_date, o.date_entered, o.last_updated,
       CASE WHEN o.status = 'open' AND o.date_entered IS NOT NULL
            THEN CAST(julianday('now') - julianday(o.date_entered) AS INTEGER)
       END AS age_days
FROM cpq_opportunities o
WHERE o.deleted_at IS NULL;

CREATE VIEW cpq_pipeline AS
WITH w AS (
  SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings
                   WHERE key = 'pipeline_window_days'), 30) AS window_days
),
counted AS (
  SELECT i.tenant, i.status, i.value
  FROM cpq_pipeline_items i, w
  WHERE i.status = 'open'
     OR (i.closed_date IS NOT NULL
         AND julianday(i.closed_date) >= julianday('now') - w.window_days)
)
SELECT t.tenant AS tenant,
       w.window_days AS window_days,
       COUNT(c.status) AS total_count,
       TOTAL(c.value) AS total_value,
       COUNT(CASE WHEN c.status = 'open' THEN 1 END) AS open_count,
       TOTAL(CASE WHEN c.status = 'open' THEN c.value END) AS open_value,
       COUNT(CASE WHEN c.status = 'won' THEN 1 END) AS won_count,
       TOTAL(CASE WHEN c.status = 'won' THEN c.value END) AS won_value,
       COUNT(CASE WHEN c.status = 'lost' THEN 1 END) AS lost_count,
       TOTAL(CASE WHEN c.status = 'lost' THEN c.value END) AS lost_value,
       CASE WHEN COUNT(CASE WHEN c.status IN ('won', 'lost') THEN 1 END) = 0 THEN NULL
            ELSE CAST(COUNT(CASE WHEN c.status = 'won' THEN 1 END) AS REAL)
                 / COUNT(CASE WHEN c.status IN ('won', 'lost') THEN 1 END)
       END AS win_rate
FROM (SELECT DISTINCT tenant FROM cpq_opportunities WHERE deleted_at IS NULL) t
CROSS JOIN w
LEFT JOIN counted c ON c.tenant = t.tenant
GROUP BY t.tenant, w.window_days;

CREATE VIEW cpq_backlog AS
SELECT tenant, id, source, name, client_name, value, status, status_name,
       stage_name AS stage, probability, expected_close_date, date_entered, age_days
FROM cpq_pipeline_items
WHERE status = 'open'
ORDER BY age_days DESC, tenant, id;

CREATE VIEW cpq_at_risk AS
SELECT b.*, s.at_risk_days
FROM cpq_backlog b,
     (SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings
                       WHERE key = 'at_risk_days'), 45) AS at_risk_days) s
WHERE b.age_days > s.at_risk_days
ORDER BY b.age_days DESC, b.tenant, b.id;

CREATE VIEW cpq_recent_wins AS
SELECT i.tenant, i.id, i.source, i.name, i.client_name, i.value, i.closed_date,
       CAST(julianday('now') - julianday(i.closed_date) AS INTEGER) AS days_since_close,
       i.stage_name AS stage, i.date_entered, w.window_days
FROM cpq_pipeline_items i,
     (SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings
                       WHERE key = 'pipeline_window_days'), 30) AS window_days) w
WHERE i.status = 'won'
  AND i.closed_date IS NOT NULL
  AND julianday(i.closed_date) >= julianday('now') - w.window_days
ORDER BY julianday(i.closed_date) DESC, i.tenant, i.id;

CREATE VIEW psa_post_history AS
SELECT p.id AS post_id, p.tenant, p.provider, p.ticket_id, p.kind, p.status,
       (SELECT COUNT(*) FROM psa_activity_log a
        WHERE a.post_id = p.id AND a.event = 'attempt') AS attempts,
       p.retry_count, p.last_http_status, p.last_error, p.remote_id,
       p.created_at, p.updated_at, p.next_retry_at,
       CASE WHEN p.status = 'succeeded' THEN
         (SELECT MAX(a.at) FROM psa_activity_log a
          WHERE a.post_id = p.id AND a.event = 'succeeded')
       END AS delivered_at,
       (SELECT a.event FROM psa_activity_log a
        WHERE a.post_id = p.id ORDER BY a.id DESC LIMIT 1) AS last_event,
       (SELECT a.at FROM psa_activity_log a
        WHERE a.post_id = p.id ORDER BY a.id DESC LIMIT 1) AS last_event_at,
       p.idempotency_key
FROM psa_posts p;
)SQL";

}  // namespace cwsync::storage::detail
