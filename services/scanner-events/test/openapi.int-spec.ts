import { identityEnv, testEnv } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { createOpenApiDocument } from '../src/openapi';

describe('OpenAPI document', () => {
  it('is generated without starting the service and documents every route', async () => {
    const { databaseUrl, kafkaEnv } = testEnv();
    const document = await createOpenApiDocument(loadServiceConfig({ ...kafkaEnv, DATABASE_URL: databaseUrl, ...identityEnv() }));
    expect(document.info.title).toBe('slidecharge scanner-events');
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/health/live',
        '/health/ready',
        '/metrics',
        '/scan-events',
        '/scan-events/batch',
        '/scan-events/{eventId}',
        '/slides/{barcode}/scans',
        '/dicom/instances',
        '/api-keys',
        '/api-keys/{id}',
        '/api-keys/{id}/revoke',
        '/dead-letters',
        '/dead-letters/{id}',
        '/dead-letters/{id}/replay',
      ].sort(),
    );
    const post = document.paths['/scan-events']?.post;
    expect(post?.responses['202']).toBeDefined();
    expect(JSON.stringify(post?.requestBody)).toContain('slideBarcode');
    expect(JSON.stringify(document.paths['/scan-events/batch']?.post?.responses['200'])).toContain('rejected');
    // Authentication and idempotency are documented on the routes that have them, and only there.
    const headers = (op: unknown) => ((op as { parameters?: { in: string; name: string }[] })?.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers(post)).toEqual(['Idempotency-Key']);
    expect(post?.security).toEqual([{ 'api-key': [] }]);
    expect(document.components?.securitySchemes?.['api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(document.paths['/api-keys']?.post?.security).toEqual([{ oidc: [] }]);
    expect(document.paths['/scan-events/{eventId}']?.get?.security).toEqual([{ 'api-key': [] }, { oidc: [] }]);
    expect(post?.responses['401']).toBeDefined();
    expect(post?.responses['403']).toBeDefined();
    expect(headers(document.paths['/health/ready']?.get)).toEqual([]);
    const dicom = document.paths['/dicom/instances']?.post;
    expect(Object.keys((dicom?.requestBody as { content: object }).content).sort()).toEqual(['application/dicom', 'application/dicom+json']);
    expect(dicom?.responses['415']).toBeDefined();
    expect(dicom?.responses['422']).toBeDefined();
  });
});
