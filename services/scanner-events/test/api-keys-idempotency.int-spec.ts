import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ScanEvent } from '@slidecharge/contracts';
import { asCaller, ReadMessage, TopicReader, testEnv } from '@slidecharge/testing';
import { parseApiKey, Scope } from '../src/auth/api-key';
import { IdempotencyService } from '../src/idempotency/idempotency.service';
import { PrismaService } from '../src/prisma.service';
import { ScannerApp, startScannerApp } from './scanner-app';

/**
 * API keys and Idempotency-Key on the real Postgres and Kafka: who may send, what a refused request
 * leaves behind (nothing), and what a retry with the same Idempotency-Key gets. Every id is unique:
 * other suites share the tables and topics.
 */
const { kafkaBrokers } = testEnv();

let scanner: ScannerApp;
let reader: TopicReader;
let prisma: PrismaService;

const middlewareEvent = (over: Record<string, unknown> = {}) => {
  const id = randomUUID();
  return {
    eventId: `auth-${id}`,
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: `S26-${id.slice(0, 8)}-A1-1`,
    scannerId: 'GT450-AUTH',
    image: { imageId: `img-${id}`, focusScore: 0.9 },
    ...over,
  };
};

const fromSource = (sourceEventId: string) => (m: ReadMessage) => m.topic === 'scan.events.v1' && (m.value as ScanEvent).data?.sourceEventId === sourceEventId;

/**
 * Proves an event was NOT published: a later event of the same slide (same key, same partition) is
 * accepted with the dev key and read back; anything the first request could have produced is before it.
 */
async function expectNotPublished(event: { eventId: string; slideBarcode: string }) {
  const sentinel = middlewareEvent({ slideBarcode: event.slideBarcode, eventType: 'scan.started' });
  await scanner.post('/scan-events').send(sentinel).expect(202);
  await reader.waitFor(fromSource(sentinel.eventId), (l) => l.length >= 1, 30_000);
  expect(reader.messages.filter(fromSource(event.eventId))).toHaveLength(0);
  const row = await prisma.scanEventReceipt.findUnique({ where: { eventId: event.eventId } });
  expect(row).toBeNull();
}

const server = () => scanner.app.getHttpServer();
/** An interface analyst signed in with the identity provider (role integration-admin) manages keys. */
const admin = () => asCaller(server(), 'integration-admin');
const signedIn = (user: string) => expect.stringMatching(new RegExp(`^${user} \\(sub [0-9a-f-]{36}\\)$`));
async function makeKey(scopes: Scope[], name = `test client ${randomUUID().slice(0, 8)}`): Promise<{ id: string; apiKey: string }> {
  const res = await admin().post('/api-keys').send({ name, scopes }).expect(201);
  return { id: res.body.id, apiKey: res.body.apiKey };
}
const withKey = (key: string) => ({
  post: (path: string) => request(server()).post(path).set('x-api-key', key),
  get: (path: string) => request(server()).get(path).set('x-api-key', key),
});

beforeAll(async () => {
  reader = await new TopicReader(kafkaBrokers, ['scan.events.v1']).start();
  scanner = await startScannerApp();
  prisma = scanner.app.get(PrismaService);
}, 90_000);

afterAll(async () => {
  await scanner?.close();
  await reader?.stop();
});

describe('API key administration', () => {
  it('makes a key for a signed-in integration admin, shows its secret once, and lists keys without secrets', async () => {
    const name = `Sectra IMS ${randomUUID().slice(0, 8)}`;
    const created = await admin().post('/api-keys').send({ name, scopes: ['dicom:write', 'scan-events:read'] }).expect(201);
    const parsed = parseApiKey(created.body.apiKey);
    expect(parsed?.id).toBe(created.body.id);
    expect(created.body).toMatchObject({ name, scopes: ['dicom:write', 'scan-events:read'], createdBy: signedIn('integration-admin'), revokedAt: null, lastUsedAt: null });

    const row = await prisma.apiClient.findUnique({ where: { id: created.body.id } });
    expect(row?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(parsed?.secret);

    const list = await admin().get('/api-keys').expect(200);
    expect(list.text).not.toContain(parsed?.secret);
    expect(list.body.items.find((k: { id: string }) => k.id === created.body.id)).toEqual({ ...created.body, apiKey: undefined, lastUsedAt: null });
    const one = await admin().get(`/api-keys/${created.body.id}`).expect(200);
    expect(one.body).not.toHaveProperty('apiKey');
    await admin().get('/api-keys/000000000000').expect(404);
  });

  it('refuses key administration without a token, with a token of another role, and with any API key', async () => {
    const none = await scanner.anonymous.get('/api-keys').expect(401);
    expect(none.body.error).toBe('unauthorized');
    const wrong = await request(server()).get('/api-keys').set('authorization', 'Bearer not-a-token-but-long-enough-000').expect(401);
    expect(wrong.body.error).toBe('invalid_token');
    for (const caller of ['ops-viewer', 'billing-admin', 'lis-integration'] as const) {
      await asCaller(server(), caller).post('/api-keys').send({ name: 'not allowed', scopes: ['scan-events:write'] }).expect(403);
    }
    const writer = await withKey(scanner.devKey).get('/api-keys').expect(403);
    expect(writer.body).toEqual({ error: 'forbidden', message: expect.stringContaining('needs one of the roles integration-admin') });
  });

  it('records which signed-in person revoked a key', async () => {
    const made = await makeKey(['scan-events:write']);
    const revoked = await admin().post(`/api-keys/${made.id}/revoke`).expect(200);
    expect(revoked.body).toMatchObject({ revokedBy: signedIn('integration-admin'), revokedAt: expect.any(String) });
  });

  it('answers 400 for an unknown scope, the retired keys:admin scope, or no name', async () => {
    const res = await admin().post('/api-keys').send({ name: '', scopes: ['scan-events:everything', 'keys:admin'] }).expect(400);
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'scopes.0', 'scopes.1']);
  });
});

describe('API keys on the ingestion API', () => {
  it('refuses a request without a key (401, WWW-Authenticate) and keeps and publishes nothing', async () => {
    const event = middlewareEvent();
    const res = await scanner.anonymous.post('/scan-events').send(event).expect(401);
    expect(res.body).toEqual({ error: 'unauthorized', message: expect.stringContaining('an API key') });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="slidecharge"');
    await scanner.anonymous.post('/scan-events/batch').send({ events: [event] }).expect(401);
    await expectNotPublished(event);
  });

  it('refuses a wrong secret, an unknown id and a malformed key alike (401 invalid_token)', async () => {
    const event = middlewareEvent();
    const good = parseApiKey(scanner.devKey);
    const answers = [];
    for (const key of [`sck_${good?.id}_${'x'.repeat(43)}`, `sck_000000000000_${good?.secret}`, 'hunter2']) {
      answers.push((await withKey(key).post('/scan-events').send(event).expect(401)).body);
    }
    expect(answers).toEqual([answers[0], answers[0], answers[0]]);
    expect(answers[0]).toEqual({ error: 'invalid_token', message: 'unknown, wrong or revoked API key' });
    await request(server()).post('/scan-events').set('authorization', `Basic ${Buffer.from('u:p').toString('base64')}`).send(event).expect(401);
    await expectNotPublished(event);
  });

  it('takes a key as X-API-Key or Authorization: Bearer, records the sender and the last use', async () => {
    const key = await makeKey(['scan-events:write', 'scan-events:read']);
    const a = middlewareEvent();
    const b = middlewareEvent();
    await withKey(key.apiKey).post('/scan-events').send(a).expect(202);
    await request(server()).post('/scan-events').set('authorization', `Bearer ${key.apiKey}`).send(b).expect(202);
    const receipt = await withKey(key.apiKey).get(`/scan-events/${a.eventId}`).expect(200);
    expect(receipt.body.apiClientId).toBe(key.id);
    const view = await admin().get(`/api-keys/${key.id}`).expect(200);
    expect(Date.now() - Date.parse(view.body.lastUsedAt)).toBeLessThan(60_000);
  });

  it('answers 403 naming the missing scope, for writing and reading, and keeps nothing', async () => {
    const dicomOnly = await makeKey(['dicom:write']);
    const event = middlewareEvent();
    const res = await withKey(dicomOnly.apiKey).post('/scan-events').send(event).expect(403);
    expect(res.body).toEqual({ error: 'forbidden', message: 'the API key does not have scope scan-events:write' });
    await withKey(dicomOnly.apiKey).get(`/slides/${event.slideBarcode}/scans`).expect(403);

    const readOnly = await makeKey(['scan-events:read']);
    await withKey(readOnly.apiKey).post('/scan-events/batch').send({ events: [event] }).expect(403);
    await withKey(readOnly.apiKey).get(`/slides/${event.slideBarcode}/scans`).expect(200);
    await expectNotPublished(event);
  });

  it('refuses a key from the request after it was revoked; revoking again changes nothing', async () => {
    const key = await makeKey(['scan-events:write']);
    await withKey(key.apiKey).post('/scan-events').send(middlewareEvent()).expect(202);
    const first = await admin().post(`/api-keys/${key.id}/revoke`).expect(200);
    const event = middlewareEvent();
    const res = await withKey(key.apiKey).post('/scan-events').send(event).expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', message: 'unknown, wrong or revoked API key' });
    const again = await admin().post(`/api-keys/${key.id}/revoke`).expect(200);
    expect(again.body.revokedAt).toBe(first.body.revokedAt);
    await admin().post('/api-keys/000000000000/revoke').expect(404);
    await expectNotPublished(event);
  });

  it('keeps health open; metrics and the API documents are open in development only (this app)', async () => {
    await scanner.anonymous.get('/health/live').expect(200);
    await scanner.anonymous.get('/metrics').expect(200);
    await scanner.anonymous.get('/openapi.json').expect(200);
  });

  it('lets ops staff read receipts with a token, not write events', async () => {
    const event = middlewareEvent();
    await scanner.post('/scan-events').send(event).expect(202);
    await asCaller(server(), 'ops-viewer').get(`/scan-events/${event.eventId}`).expect(200);
    await asCaller(server(), 'ops-viewer').post('/scan-events').send(middlewareEvent()).expect(403);
    await asCaller(server(), 'billing-reviewer').get(`/slides/${event.slideBarcode}/scans`).expect(403);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, without a second execution', async () => {
    const key = randomUUID();
    const event = middlewareEvent();
    const first = await scanner.post('/scan-events').set('idempotency-key', key).send(event).expect(202);
    expect(first.body.status).toBe('accepted');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same body with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const second = await scanner.post('/scan-events').set('idempotency-key', key).send(reordered).expect(202);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    // Without the key, the eventId de-duplication still answers: duplicate.
    const plain = await scanner.post('/scan-events').send(event).expect(202);
    expect(plain.body.status).toBe('duplicate');

    await reader.waitFor(fromSource(event.eventId), (l) => l.length >= 1);
    const record = await prisma.idempotencyRecord.findFirst({ where: { key } });
    expect(record).toMatchObject({ statusCode: 202, method: 'POST', path: '/scan-events', responseBody: first.body });
    const ttl = (record?.expiresAt.getTime() ?? 0) - (record?.createdAt.getTime() ?? 0);
    expect(ttl).toBe(24 * 3_600_000);
  });

  it('refuses the same key with another body (422) and keeps nothing of the second request', async () => {
    const key = randomUUID();
    await scanner.post('/scan-events').set('idempotency-key', key).send(middlewareEvent()).expect(202);
    const other = middlewareEvent();
    const res = await scanner.post('/scan-events').set('idempotency-key', key).send(other).expect(422);
    expect(res.body.error).toBe('idempotency_key_reused');
    expect(res.body.message).toContain(`Idempotency-Key "${key}" was first used at`);
    await expectNotPublished(other);
    // ...and on another endpoint.
    await scanner.post('/scan-events/batch').set('idempotency-key', key).send({ events: [other] }).expect(422);
  });

  it('replays a batch answer, element by element', async () => {
    const key = randomUUID();
    const body = { events: [middlewareEvent(), { ...middlewareEvent(), occurredAt: 'soon' }, middlewareEvent()] };
    const first = await scanner.post('/scan-events/batch').set('idempotency-key', key).send(body).expect(200);
    expect([first.body.accepted, first.body.rejected]).toEqual([2, 1]);
    const replay = await scanner.post('/scan-events/batch').set('idempotency-key', key).send(body).expect(200);
    expect(replay.text).toBe(first.text);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys per API client: another client may use the same key for its own request', async () => {
    const other = await makeKey(['scan-events:write']);
    const key = randomUUID();
    const mine = middlewareEvent();
    const theirs = middlewareEvent();
    await scanner.post('/scan-events').set('idempotency-key', key).send(mine).expect(202);
    const res = await withKey(other.apiKey).post('/scan-events').set('idempotency-key', key).send(theirs).expect(202);
    expect(res.body).toMatchObject({ eventId: theirs.eventId, status: 'accepted' });
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('frees the key when the request was refused, so the corrected request may use it', async () => {
    const key = randomUUID();
    const event = middlewareEvent();
    await scanner.post('/scan-events').set('idempotency-key', key).send({ ...event, occurredAt: 'yesterday' }).expect(400);
    const fixed = await scanner.post('/scan-events').set('idempotency-key', key).send(event).expect(202);
    expect(fixed.body.status).toBe('accepted');
  });

  it('runs exactly one of several concurrent requests with the same key; the others wait (409) or replay', async () => {
    const key = randomUUID();
    const event = middlewareEvent();
    const answers = await Promise.all(Array.from({ length: 6 }, () => scanner.post('/scan-events').set('idempotency-key', key).send(event)));
    for (const a of answers) expect([202, 409]).toContain(a.status);
    const ran = answers.filter((a) => a.status === 202 && a.headers['idempotent-replayed'] === undefined);
    expect(ran).toHaveLength(1);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error).toBe('idempotency_in_progress');
    const retry = await scanner.post('/scan-events').set('idempotency-key', key).send(event).expect(202);
    expect(retry.body).toEqual(ran[0]?.body);
  });

  it('forgets a key after its time: an expired key may carry a new request, and the sweep deletes expired keys', async () => {
    const key = randomUUID();
    await scanner.post('/scan-events').set('idempotency-key', key).send(middlewareEvent()).expect(202);
    await prisma.idempotencyRecord.updateMany({ where: { key }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const next = middlewareEvent();
    const res = await scanner.post('/scan-events').set('idempotency-key', key).send(next).expect(202);
    expect(res.body).toMatchObject({ eventId: next.eventId, status: 'accepted' });

    const stale = randomUUID();
    await scanner.post('/scan-events').set('idempotency-key', stale).send(middlewareEvent()).expect(202);
    await prisma.idempotencyRecord.updateMany({ where: { key: stale }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await scanner.app.get(IdempotencyService).sweep()).toBeGreaterThanOrEqual(1);
    expect(await prisma.idempotencyRecord.count({ where: { key: stale } })).toBe(0);
  });

  it('answers 400 for a malformed Idempotency-Key and runs nothing', async () => {
    const event = middlewareEvent();
    const res = await scanner.post('/scan-events').set('idempotency-key', 'two words').send(event).expect(400);
    expect(res.body.error).toBe('invalid_idempotency_key');
    await expectNotPublished(event);
  });
});

describe('the development key', () => {
  it('is deleted from the database when scanner-events starts without SCANNER_DEV_API_KEY, and refused from then on', async () => {
    const keyId = parseApiKey(scanner.devKey)?.id as string;
    await scanner.post('/scan-events').send(middlewareEvent()).expect(202);
    const without = await startScannerApp({ SCANNER_DEV_API_KEY: '' });
    try {
      expect(await prisma.apiClient.findUnique({ where: { id: keyId } })).toBeNull();
      const event = middlewareEvent();
      await withKey(scanner.devKey).post('/scan-events').send(event).expect(401);
      await request(without.app.getHttpServer()).post('/scan-events').set('x-api-key', scanner.devKey).send(event).expect(401);
    } finally {
      await without.close();
    }
    // Starting again with the variable brings it back (this suite's app keeps using it).
    const restored = await startScannerApp({ SCANNER_DEV_API_KEY: scanner.devKey });
    await restored.close();
    await scanner.post('/scan-events').send(middlewareEvent()).expect(202);
  });
});
