// Internal to storage/: the SQL text of each migration. Released migrations
// are frozen; see migrations.h.
#pragma once

namespace cwsync::storage::detail {

extern const char* const kSchemaV1Tables;   // schema_v1.cpp
extern const char* const kSchemaV1Views;    // views_v1.cpp
extern const char* const kSchemaQueueStates;  // schema_queue_states.cpp
const char* schema_queue_checks();       // schema_queue_checks.cpp: psa_posts triggers
extern const char* const kSchemaTickets;    // schema_tickets.cpp: psa_tickets, search, sync_* rebuild
const char* search_triggers();            // schema_tickets.cpp: search triggers, backfill, cpq_clients
const char* schema_pipeline_summary();   // schema_pipeline_summary.cpp: view summaries
const char* schema_search_batched();     // schema_search_batched.cpp: search indexed per transaction
const char* schema_view_ages();          // schema_view_ages.cpp: indexes for the views' examples
const char* schema_at_risk();            // schema_at_risk.cpp: cpq_at_risk_totals, cheaper backlog age
const char* schema_psa_value();          // schema_psa_value.cpp: psa value, accepted-and-lost
const char* schema_retention();          // schema_retention.cpp: log rows of delivered posts may go

}  // namespace cwsync::storage::detail
