import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityEnv, serviceDatabaseUrl, testEnv, WORKSPACE_ROOT } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { createOpenApiDocument } from '../src/openapi';

it('builds the OpenAPI document with every console route (not the web files), the same as docs/openapi/ops-console.json', async () => {
  const { kafkaEnv } = testEnv();
  const doc = await createOpenApiDocument(loadServiceConfig({ ...kafkaEnv, DATABASE_URL: serviceDatabaseUrl('ops-console'), LOG_LEVEL: 'warn', ...identityEnv() }));
  expect(doc.info.title).toBe('slidecharge ops console');
  expect(Object.keys(doc.paths)).toContain('/api/overview');
  expect(Object.keys(doc.paths)).toContain('/api/cases/{accessionNumber}/timeline');
  expect(Object.keys(doc.paths).some((p) => p === '/' || p.includes('*') || p.includes('{path}'))).toBe(false);
  const committed = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'docs/openapi/ops-console.json'), 'utf8'));
  // The committed document was built with the docs environment (npm run docs:api); compare the routes and their operations.
  expect(Object.keys(committed.paths).sort()).toEqual(Object.keys(doc.paths).sort());
});
