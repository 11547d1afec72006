import { randomUUID } from 'node:crypto';
import { ScanEvent } from '@slidecharge/contracts';
import { eventually, nestedArrays, OVERSIZED_CORRELATION_ID, ReadMessage, testEnv, TopicReader } from '@slidecharge/testing';
import { ScannerApp, startScannerApp } from './scanner-app';

/**
 * Bad HTTP input on scanner-events (issue #7), in-process as production builds it, on the real
 * Postgres and Kafka: a lone surrogate, a body nested 5,000 deep with an Idempotency-Key (canonicalJson
 * used to recurse into it), non-JSON bodies, and an oversized correlation header. Every request goes
 * through scanner.post / scanner.get (scanner-app.ts), the one place its credential is set.
 */
const { kafkaBrokers } = testEnv();
let scanner: ScannerApp;
let reader: TopicReader;

beforeAll(async () => {
  reader = await new TopicReader(kafkaBrokers, ['scan.events.v1']).start();
  scanner = await startScannerApp();
}, 90_000);

afterAll(async () => {
  await scanner?.close();
  await reader?.stop();
});

const middlewareEvent = (over: Record<string, unknown> = {}) => {
  const id = randomUUID();
  return {
    eventId: `hi-${id}`,
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: `S26-${id.slice(0, 8)}-A1-1`,
    scannerId: 'GT450-1',
    image: { imageId: `img-${id}`, focusScore: 0.93, tissueCoverage: 0.41, barcodeRead: true, stitchingErrors: 0, magnification: 40 },
    ...over,
  };
};

const fromSource = (sourceEventId: string) => (m: ReadMessage) => m.topic === 'scan.events.v1' && (m.value as ScanEvent).data?.sourceEventId === sourceEventId;
const receipt = async (eventId: string) => (await scanner.get(`/scan-events/${eventId}`)).status;

describe('POST /scan-events', () => {
  it('a lone surrogate ("\\ud800") in a field: 400 invalid_text naming it; no receipt, nothing published', async () => {
    const event = middlewareEvent({ scannerId: '\ud800' });
    const wire = JSON.stringify(event);
    expect(wire).toContain('"scannerId":"\\ud800"');
    const res = await scanner.post('/scan-events').set('content-type', 'application/json').send(wire).expect(400);
    expect(res.body).toEqual({
      error: 'invalid_text',
      message: 'body.scannerId contains U+D800 (unpaired surrogate) at index 0',
      issues: [{ path: 'scannerId', message: 'contains U+D800 (unpaired surrogate) at index 0' }],
    });
    expect(await receipt(event.eventId)).toBe(404);
  });

  it('a body nested 5,000 deep with an Idempotency-Key: 400 json_too_deep naming the limit; the key stays free for the real request', async () => {
    const key = randomUUID();
    const event = middlewareEvent();
    const deep = `{"eventId":"${event.eventId}","image":${nestedArrays(5000)}}`;
    const res = await scanner.post('/scan-events').set('idempotency-key', key).set('content-type', 'application/json').send(deep).expect(400);
    expect(res.body).toEqual({ error: 'json_too_deep', message: expect.stringContaining('nested deeper than 32 levels of arrays and objects (HTTP_JSON_MAX_DEPTH)') });
    const batch = await scanner.post('/scan-events/batch').set('idempotency-key', randomUUID()).set('content-type', 'application/json').send(`{"events":${nestedArrays(5000)}}`);
    expect(batch.status).toBe(400);
    expect(batch.body.error).toBe('json_too_deep');

    const accepted = await scanner.post('/scan-events').set('idempotency-key', key).send(event).expect(202);
    expect(accepted.body).toMatchObject({ eventId: event.eventId, status: 'accepted' });
    expect(accepted.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a DICOM JSON upload nested 5,000 deep gets the same answer', async () => {
    const res = await scanner.post('/dicom/instances').set('content-type', 'application/dicom+json').send(`{"00080016":{"vr":"UI","Value":${nestedArrays(5000)}}}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('json_too_deep');
  });

  it('malformed JSON, a body over the limit, another charset or media type: JSON 400 / 413 / 415 saying what is wrong', async () => {
    const malformed = await scanner.post('/scan-events').set('content-type', 'application/json').send('{"eventId": hi-1').expect(400);
    expect(malformed.body).toEqual({ error: 'invalid_json', message: "the body is not valid JSON: Unexpected token 'h'" });
    const tooLarge = await scanner.post('/scan-events').set('content-type', 'application/json').send(`{"eventId":"${'x'.repeat(scanner.config.SCAN_BATCH_MAX * 4096 + 1)}"}`).expect(413);
    expect(tooLarge.body).toEqual({ error: 'payload_too_large', message: expect.stringMatching(/^the body is larger than the limit of \d+ bytes$/) });
    const latin1 = await scanner.post('/scan-events').set('content-type', 'application/json; charset=iso-8859-1').send('{}').expect(415);
    expect(latin1.body.error).toBe('unsupported_charset');
    const form = await scanner.post('/scan-events').set('content-type', 'application/x-www-form-urlencoded').send('eventId=1').expect(415);
    expect(form.body).toEqual({
      error: 'unsupported_media_type',
      message: 'Content-Type "application/x-www-form-urlencoded" is not accepted here: send application/json, application/dicom, application/dicom+json',
    });
    expect(malformed.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a valid scan with a 300-character x-correlation-id is accepted, published, and answered with a replaced correlation id', async () => {
    const event = middlewareEvent();
    expect(OVERSIZED_CORRELATION_ID).toHaveLength(300);
    const res = await scanner.post('/scan-events').set('x-correlation-id', OVERSIZED_CORRELATION_ID).send(event).expect(202);
    expect(res.body).toMatchObject({ eventId: event.eventId, status: 'accepted' });
    const replaced = res.headers['x-correlation-id'];
    expect(replaced).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const [message] = await reader.waitFor(fromSource(event.eventId), (list) => list.length >= 1);
    expect(ScanEvent.parse(message?.value)).toMatchObject({ type: 'scan.completed', correlationId: replaced, data: { slideBarcode: event.slideBarcode } });
  });
});

describe('after the bad inputs', () => {
  it('the service is ready and a good scan is accepted and published (canary)', async () => {
    await eventually(async () => ((await scanner.get('/health/ready')).status === 200 ? true : undefined), 45_000, 'scanner-events to be ready');
    const event = middlewareEvent();
    await scanner.post('/scan-events').send(event).expect(202);
    const [message] = await reader.waitFor(fromSource(event.eventId), (list) => list.length >= 1);
    expect(message?.key).toBe(event.slideBarcode);
  });
});
