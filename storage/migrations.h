// Forward-only schema migrations keyed by PRAGMA user_version.
//
// Version N is the schema after migration N. Each migration runs in its own
// BEGIN IMMEDIATE transaction together with the user_version bump, so a crash
// leaves the database at N-1 or N, never between. Migrations are never edited
// once released; a change is a new migration appended to the list.
#pragma once

#include <string>

#include "base/result.h"
#include "storage/database.h"

namespace cwsync::storage {

// The schema version this build creates and understands.
int latest_schema_version();

// "database schema version 7 is newer than this cwsync supports (2)..."
std::string newer_schema_message(int found_version);

// Brings the database to latest_schema_version(). Idempotent; safe to run
// from several processes at once (the write lock serialises them). Errors:
// kDatabase for a newer schema (nothing touched) or a failed step (that step
// rolled back, earlier steps kept).
Status migrate(Database& db);

// Brings the database to `version` (at most latest_schema_version()) and
// stops there; tests stage an older schema this way to check an upgrade.
Status migrate_to(Database& db, int version);

}  // namespace cwsync::storage
