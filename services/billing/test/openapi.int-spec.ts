import { identityEnv } from '@slidecharge/testing';
import { createOpenApiDocument } from '../src/openapi';
import { loadServiceConfig } from '../src/config';

/** The OpenAPI document is built from the controllers without listening or connecting. */
it('documents every billing route with its parameters and answers', async () => {
  const config = loadServiceConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', LOG_LEVEL: 'error', ...identityEnv() });
  const doc = await createOpenApiDocument(config);
  expect(doc.info.title).toBe('slidecharge billing');
  expect(Object.keys(doc.paths).sort()).toEqual(
    [
      '/cases/{accessionNumber}/billing',
      '/charges',
      '/charges/{chargeId}',
      '/charges/{chargeId}/release',
      '/charges/{chargeId}/void',
      '/charges/{chargeId}/deliveries',
      '/deliveries',
      '/deliveries/{deliveryId}',
      '/deliveries/{deliveryId}/retry',
      '/review-queue',
      '/policy-sets',
      '/policy-sets/{policyVersion}',
      '/policy-sets/{policyVersion}/activate',
      '/health/live',
      '/health/ready',
      '/metrics',
      '/unmatched-scans',
      '/unmatched-scans/{scanId}/dismiss',
      '/fhir/metadata',
      '/fhir/.well-known/smart-configuration',
      '/fhir/StructureDefinition/{id}',
      '/fhir/ChargeItem',
      '/fhir/ChargeItem/{id}',
      '/dead-letters',
      '/dead-letters/{id}',
      '/dead-letters/{id}/replay',
    ].sort(),
  );
  const list = doc.paths['/charges']?.get;
  expect(list?.parameters?.map((p) => ('name' in p ? p.name : '')).sort()).toEqual(['accession', 'cursor', 'limit', 'since', 'status']);
  expect(Object.keys(list?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '429']);
  expect(list?.security).toEqual([{ oidc: [] }]);
  expect(doc.paths['/fhir/ChargeItem']?.get?.security).toEqual([{ oidc: ['system/ChargeItem.read'] }]);
  expect(doc.paths['/health/ready']?.get?.security).toEqual([]);
  expect(doc.paths['/fhir/metadata']?.get?.security).toEqual([]);
  const one = doc.paths['/charges/{chargeId}']?.get;
  expect(Object.keys(one?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
  const okSchema = JSON.stringify(one?.responses['200']);
  expect(okSchema).toContain('trace');
  expect(okSchema).toContain('chargeKey');
  expect(JSON.stringify(doc.paths['/cases/{accessionNumber}/billing']?.get?.responses['200'])).toContain('explanations');
  expect(okSchema).toContain('audit');
  const release = doc.paths['/charges/{chargeId}/release']?.post;
  expect(Object.keys(release?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '409', '429']);
  expect(release?.description).toContain('Access: a bearer token with role billing-reviewer.');
  expect(JSON.stringify(release?.requestBody)).toContain('justification');
  expect(Object.keys(doc.paths['/policy-sets']?.post?.responses ?? {}).sort()).toEqual(['200', '201', '400', '401', '403', '409', '429']);
  expect(Object.keys(doc.paths['/deliveries/{deliveryId}/retry']?.post?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '409', '429']);
  expect(JSON.stringify(doc.paths['/charges/{chargeId}/deliveries']?.get?.responses['200'])).toContain('messageControlId');
});
