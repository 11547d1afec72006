#!/usr/bin/env node
// Prints an access token from the development identity provider (scripts/idp.sh), for curl:
//   curl -H "Authorization: Bearer $(node scripts/token.mjs billing-reviewer)" http://127.0.0.1:3004/review-queue
//   node scripts/token.mjs --list        who you can be
//   node scripts/token.mjs --scanner-key the stack's scanner development API key (X-API-Key)
//   node scripts/token.mjs --password ops-viewer   a person's development password (to sign in to the
//                                        ops console at http://127.0.0.1:3005/ in a browser)
// People (billing-reviewer, billing-admin, integration-admin, ops-viewer) get a token through the
// password grant of the development realm; machines (lis-integration, billing-system, ops-dashboard)
// through the client credentials grant. Against the hospital's identity provider use its own tools.
import { CALLERS, ISSUER, passwordOf, scannerDevKey, tokenFor } from './lib/identity.mjs';

const [who, person] = process.argv.slice(2);
if (!who || who === '--list') {
  console.log(`identity provider: ${ISSUER}`);
  for (const [name, spec] of Object.entries(CALLERS)) console.log(`  ${name.padEnd(18)} ${spec.user ? `person "${spec.user}"` : `machine client "${spec.client}"`}`);
  process.exit(who ? 0 : 2);
}
if (who === '--scanner-key') {
  console.log(scannerDevKey());
} else if (who === '--password') {
  const { user, password } = passwordOf(person ?? '');
  console.log(`${user} ${password}`);
} else {
  console.log(await tokenFor(who));
}
