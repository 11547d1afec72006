#!/usr/bin/env node
// Prints the DATABASE_URL a service runs with: the administrator's DATABASE_URL with the service's own
// role and password (scripts/lib/service-roles.mjs). Run the setup first (node scripts/ensure-database.mjs).
//   node scripts/service-database-url.mjs <accession|scanner-events|qc|billing|ops-console>
import { adminDatabaseUrl, serviceDatabaseUrl, SERVICES } from './lib/service-roles.mjs';

const [service] = process.argv.slice(2);
if (!SERVICES.includes(service ?? '')) {
  console.error(`usage: service-database-url.mjs <${SERVICES.join('|')}>`);
  process.exit(2);
}
try {
  process.stdout.write(`${serviceDatabaseUrl(adminDatabaseUrl(), service)}\n`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
