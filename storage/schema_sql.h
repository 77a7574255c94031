// Internal to storage/: the SQL text of each migration. Released migrations
// are frozen; see migrations.h.
#pragma once

namespace cwsync::storage::detail {

extern const char* const kSchemaV1Tables;   // schema_v1.cpp
extern const char* const kSchemaV1Views;    // views_v1.cpp
const char* schema_v2_queue_checks();       // schema_v2.cpp: psa_posts triggers

}  // namespace cwsync::storage::detail
