import { identityEnv, testEnv } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { createOpenApiDocument } from '../src/openapi';

it('builds the OpenAPI document with every qc route, without starting consumers', async () => {
  const { databaseUrl, kafkaEnv } = testEnv();
  const doc = await createOpenApiDocument(loadServiceConfig({ ...kafkaEnv, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...identityEnv() }));
  expect(doc.info.title).toBe('slidecharge qc');
  expect(Object.keys(doc.paths).sort()).toEqual(
    [
      ...['/health/live', '/health/ready', '/metrics', '/qc/rescans', '/qc/results', '/qc/results/{scanId}', '/qc/rules', '/slides/{barcode}/qc'],
      ...['/dead-letters', '/dead-letters/{id}', '/dead-letters/{id}/replay'],
    ].sort(),
  );
  const replay = doc.paths['/dead-letters/{id}/replay']?.post;
  expect(Object.keys(replay?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
  expect(doc.paths['/dead-letters']?.get?.parameters?.map((p) => ('name' in p ? p.name : '')).sort()).toEqual(['cursor', 'limit', 'reason', 'state', 'topic']);
  const list = doc.paths['/qc/results']?.get;
  expect(list?.parameters?.map((p) => ('name' in p ? p.name : '')).sort()).toEqual(['cursor', 'limit', 'passed']);
  expect(Object.keys(list?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '429']);
  expect(Object.keys(doc.paths['/qc/results/{scanId}']?.get?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
});
