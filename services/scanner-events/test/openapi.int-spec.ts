import { testEnv } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { createOpenApiDocument } from '../src/openapi';

describe('OpenAPI document', () => {
  it('is generated without starting the service and documents every route', async () => {
    const { databaseUrl, kafkaBrokers } = testEnv();
    const document = await createOpenApiDocument(loadServiceConfig({ DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers }));
    expect(document.info.title).toBe('slidecharge scanner-events');
    expect(Object.keys(document.paths).sort()).toEqual(
      ['/health/live', '/health/ready', '/metrics', '/scan-events', '/scan-events/batch', '/scan-events/{eventId}', '/slides/{barcode}/scans'].sort(),
    );
    const post = document.paths['/scan-events']?.post;
    expect(post?.responses['202']).toBeDefined();
    expect(JSON.stringify(post?.requestBody)).toContain('slideBarcode');
    expect(JSON.stringify(document.paths['/scan-events/batch']?.post?.responses['200'])).toContain('rejected');
  });
});
