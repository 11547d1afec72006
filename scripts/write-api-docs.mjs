#!/usr/bin/env node
// Regenerates the API documents from the code: docs/openapi/<service>.json from each service's build
// (the same createServiceApp + OpenAPI code the running service serves at /openapi.json, built here
// without listening or connecting to anything), the authorization matrix in docs/security.md, and
// docs/asyncapi.json from the topic contracts.
// The e2e and integration tests fail when the committed documents differ from what the code serves.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SERVICES = ['accession', 'scanner-events', 'qc', 'billing', 'ops-console'];

// Enough configuration to build each app; nothing is connected to.
const env = {
  DATABASE_URL: 'postgresql://docs@127.0.0.1:5432/docs',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SLIDECHARGE_ENV: 'development',
  OIDC_ISSUER: 'http://127.0.0.1:8180/realms/slidecharge',
  LOG_LEVEL: 'fatal',
  ACCESSION_MLLP_ENABLED: 'false',
};

execFileSync(join(root, 'node_modules/.bin/nx'), ['run-many', '-t', 'build', '-p', ...SERVICES, '--outputStyle=static'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
});
mkdirSync(join(root, 'docs/openapi'), { recursive: true });
for (const service of SERVICES) {
  const built = join(root, 'dist/services', service, 'services', service, 'src');
  const { loadServiceConfig } = require(join(built, 'config.js'));
  const { createOpenApiDocument } = require(join(built, 'openapi.js'));
  const document = await createOpenApiDocument(loadServiceConfig(env));
  writeFileSync(join(root, 'docs/openapi', `${service}.json`), JSON.stringify(document, null, 2) + '\n');
  console.log(`wrote docs/openapi/${service}.json`);
}
// The authorization matrix of docs/security.md, from the same build.
const { renderAccessMatrix } = require(join(root, 'dist/services/qc/libs/service-kit/src/auth/access-matrix.js'));
const securityPage = join(root, 'docs/security.md');
const page = readFileSync(securityPage, 'utf8');
writeFileSync(securityPage, page.replace(/(<!-- access-matrix:start -->\n)[\s\S]*?(\n<!-- access-matrix:end -->)/, `$1${renderAccessMatrix()}$2`));
console.log('wrote the authorization matrix of docs/security.md');
execFileSync(join(root, 'node_modules/.bin/ts-node'), ['--transpile-only', '-O', '{"module":"commonjs"}', 'scripts/write-asyncapi.ts'], { cwd: root, stdio: 'inherit' });
process.exit(0);
