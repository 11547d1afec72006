#!/usr/bin/env node
// With the administrator's DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/slidecharge):
// creates the database when missing and sets up each service's own least-privileged Postgres role and
// schema (scripts/lib/database-setup.mjs; docs/operations.md, "Database roles"). Idempotent.
import { setUpDatabase } from './lib/database-setup.mjs';
import { adminDatabaseUrl } from './lib/service-roles.mjs';

try {
  await setUpDatabase(adminDatabaseUrl());
} catch (e) {
  console.error(`[db:setup] ${e.message}`);
  process.exit(1);
}
