#!/usr/bin/env node
// Regenerates the API documents from the code: docs/openapi/<service>.json from each RUNNING service's
// /openapi.json (npm run stack first), and docs/asyncapi.json from the topic contracts.
// The e2e and contracts tests fail when the committed documents differ from what the code serves.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bearer } from './lib/identity.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ports = { accession: 3001, 'scanner-events': 3002, qc: 3003, billing: 3004 };
mkdirSync(join(root, 'docs/openapi'), { recursive: true });
for (const [service, port] of Object.entries(ports)) {
  // Open in development; with HTTP_DOCS=authenticated any slidecharge role may read it.
  const res = await fetch(`http://127.0.0.1:${port}/openapi.json`, { headers: await bearer('ops-viewer') });
  if (!res.ok) throw new Error(`${service}: ${res.status} (is the stack running?)`);
  writeFileSync(join(root, 'docs/openapi', `${service}.json`), JSON.stringify(await res.json(), null, 2) + '\n');
  console.log(`wrote docs/openapi/${service}.json`);
}
execFileSync(join(root, 'node_modules/.bin/ts-node'), ['--transpile-only', '-O', '{"module":"commonjs"}', 'scripts/write-asyncapi.ts'], { cwd: root, stdio: 'inherit' });
