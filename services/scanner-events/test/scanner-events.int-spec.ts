import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import request from 'supertest';
import { DEAD_LETTER_TOPIC, DeadLetter, ScanEvent } from '@slidecharge/contracts';
import { eventually, ReadMessage, TopicReader, testEnv, testKafka } from '@slidecharge/testing';
import { ServiceConfig } from '../src/config';
import { PrismaService } from '../src/prisma.service';
import { scanEventIdOf } from '../src/scan-events/scan-normalizer';
import { ScannerApp, startScannerApp } from './scanner-app';

/**
 * scanner-events against the real Postgres and Kafka: both doors (HTTP and scanner.ingress.v1), the
 * de-duplication by middleware eventId across them, the outbox to scan.events.v1, dead letters and
 * readiness. Topics are shared with other suites, so every id is unique and every wait filters by it.
 * HTTP calls carry the app's development key (SCANNER_DEV_API_KEY); auth itself is tested in
 * api-keys-idempotency.int-spec.ts.
 */
const { kafkaBrokers } = testEnv();

let scanner: ScannerApp;
let app: INestApplication;
let config: ServiceConfig;
let reader: TopicReader;
let producer: Producer;

const middlewareEvent = (over: Record<string, unknown> = {}) => {
  const id = randomUUID();
  return {
    eventId: `mw-${id}`,
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: `S26-${id.slice(0, 8)}-A1-1`,
    scannerId: 'GT450-1',
    image: { imageId: `img-${id}`, focusScore: 0.93, tissueCoverage: 0.41, barcodeRead: true, stitchingErrors: 0, magnification: 40 },
    ...over,
  };
};

const scanEvents = (m: ReadMessage) => m.topic === 'scan.events.v1';
const fromSource = (sourceEventId: string) => (m: ReadMessage) =>
  scanEvents(m) && (m.value as ScanEvent).data?.sourceEventId === sourceEventId;
/** Waits for the scan event made from a middleware event id; returns every copy seen. */
const waitForScanEvent = (sourceEventId: string, timeoutMs = 30_000) =>
  reader.waitFor(fromSource(sourceEventId), (list) => list.length >= 1, timeoutMs);

const produceRaw = (key: string, value: string) => producer.send({ topic: 'scanner.ingress.v1', acks: -1, messages: [{ key, value }] });

beforeAll(async () => {
  reader = await new TopicReader(kafkaBrokers, ['scan.events.v1', DEAD_LETTER_TOPIC]).start();
  producer = testKafka('scanner-events-test').producer();
  await producer.connect();
  scanner = await startScannerApp();
  app = scanner.app;
  config = scanner.config;
}, 90_000);

afterAll(async () => {
  await scanner?.close();
  await producer?.disconnect();
  await reader?.stop();
});

describe('readiness', () => {
  it('answers 200 when Postgres, Kafka, the ingress consumer, the outbox relay and the identity provider are up', async () => {
    const body = await eventually(async () => {
      const res = await request(app.getHttpServer()).get('/health/ready');
      return res.status === 200 ? res.body : undefined;
    }, 45_000, 'readiness');
    expect(body.status).toBe('up');
    expect(body.checks.map((c: { name: string }) => c.name).sort()).toEqual(['consumers', 'identity-provider', 'kafka', 'outbox-relay', 'postgres']);
    expect(body.checks.find((c: { name: string }) => c.name === 'consumers').groups).toEqual([scanner.ingressGroup]);
  });
});

describe('POST /scan-events', () => {
  it('publishes scan.completed on scan.events.v1 with receivedVia http, keyed by slide barcode', async () => {
    const event = { ...middlewareEvent(), scanId: `scan-${randomUUID()}` };
    const res = await scanner.post('/scan-events').set('x-correlation-id', `corr-${event.eventId}`).send(event).expect(202);
    expect(res.body).toEqual({ eventId: event.eventId, status: 'accepted', scanId: event.scanId });

    const [message] = await waitForScanEvent(event.eventId);
    const published = ScanEvent.parse(message?.value);
    expect(message?.key).toBe(event.slideBarcode);
    expect(message?.headers['x-event-type']).toBe('scan.completed');
    expect(published).toMatchObject({
      eventId: scanEventIdOf(event.eventId),
      type: 'scan.completed',
      producer: 'scanner-events',
      correlationId: `corr-${event.eventId}`,
      occurredAt: event.occurredAt,
      data: {
        scanId: event.scanId,
        slideBarcode: event.slideBarcode,
        scannerId: 'GT450-1',
        scannedAt: event.occurredAt,
        purpose: 'diagnostic',
        receivedVia: 'http',
        sourceEventId: event.eventId,
        image: event.image,
      },
    });

    const receipt = await scanner.get(`/scan-events/${encodeURIComponent(event.eventId)}`).expect(200);
    expect(receipt.body).toMatchObject({ eventId: event.eventId, scanId: event.scanId, receivedVia: 'http', eventType: 'scan.completed', scanEventId: published.eventId });
  });

  it('accepts an event whose x-correlation-id header is 300 characters: a new id is used, the event is not lost', async () => {
    const event = middlewareEvent();
    const res = await scanner.post('/scan-events').set('x-correlation-id', 'c'.repeat(300)).send(event).expect(202);
    expect(res.body.status).toBe('accepted');
    const replaced = res.headers['x-correlation-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const [message] = await waitForScanEvent(event.eventId, 60_000);
    expect(message?.value).toMatchObject({ correlationId: replaced, data: { receivedVia: 'http' } });
  });

  it('answers a repeat of the same event "duplicate" and publishes one scan event', async () => {
    const event = middlewareEvent();
    const first = await scanner.post('/scan-events').send(event).expect(202);
    const second = await scanner.post('/scan-events').send(event).expect(202);
    expect(first.body).toEqual({ eventId: event.eventId, status: 'accepted', scanId: event.image.imageId });
    expect(second.body).toEqual({ eventId: event.eventId, status: 'duplicate', scanId: event.image.imageId });

    // A later event of the same slide goes to the same partition after anything the repeat could have produced.
    const sentinel = middlewareEvent({ slideBarcode: event.slideBarcode, eventType: 'scan.started' });
    await scanner.post('/scan-events').send(sentinel).expect(202);
    await waitForScanEvent(sentinel.eventId);
    expect(reader.messages.filter(fromSource(event.eventId))).toHaveLength(1);
  });

  it('counts accepted events per scanner and type on /metrics (a repeat not counted) and a second completed scan of a slide as a rescan', async () => {
    const scannerId = `SEM-${randomUUID().slice(0, 8)}`;
    const first = middlewareEvent({ scannerId });
    const slideBarcode = first.slideBarcode;
    const started = middlewareEvent({ scannerId, slideBarcode, eventType: 'scan.started', image: { ...first.image } });
    const rescan = middlewareEvent({ scannerId, slideBarcode });
    const failed = middlewareEvent({ scannerId, eventType: 'scan.failed', failureReason: 'tray jammed' });
    for (const event of [started, first, first, rescan, failed]) await scanner.post('/scan-events').send(event).expect(202);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    const series = metrics.text.split('\n').filter((l) => l.includes(`scanner="${scannerId}"`));
    expect(series.sort()).toEqual(
      [
        `slidecharge_rescans_total{scanner="${scannerId}"} 1`,
        `slidecharge_scans_total{scanner="${scannerId}",type="completed"} 2`,
        `slidecharge_scans_total{scanner="${scannerId}",type="failed"} 1`,
        `slidecharge_scans_total{scanner="${scannerId}",type="started"} 1`,
      ].sort(),
    );
  });

  it('accepts exactly one of several copies sent at the same time', async () => {
    const event = middlewareEvent({ eventType: 'scan.failed', failureReason: 'tray jam', image: undefined });
    const answers = await Promise.all(Array.from({ length: 6 }, () => scanner.post('/scan-events').send(event)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    expect(answers.map((a) => a.body.status).sort()).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const [message] = await waitForScanEvent(event.eventId);
    expect(message?.value).toMatchObject({ type: 'scan.failed', data: { failureReason: 'tray jam', scanId: event.eventId } });
    const prisma = app.get(PrismaService);
    expect(await prisma.outboxMessage.count({ where: { id: scanEventIdOf(event.eventId) } })).toBe(1);
  });

  it('answers 400 naming each bad field, and stores nothing', async () => {
    const event = middlewareEvent({ occurredAt: 'yesterday', eventType: 'scan.exploded' });
    const res = await scanner.post('/scan-events').send(event).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['eventType', 'occurredAt']);
    expect(res.body.message).toContain('occurredAt');
    await scanner.get(`/scan-events/${event.eventId}`).expect(404);
  });

  it('requires a failureReason on scan.failed', async () => {
    const res = await scanner.post('/scan-events').send(middlewareEvent({ eventType: 'scan.failed' })).expect(400);
    expect(res.body.issues).toEqual([{ path: 'failureReason', message: 'a scan.failed event needs a failureReason' }]);
  });
});

describe('POST /scan-events/batch', () => {
  it('accepts the valid events, rejects the invalid one with the field named, and answers in order', async () => {
    const a = middlewareEvent({ eventType: 'scan.started' });
    const b = { ...middlewareEvent(), slideBarcode: 'has space' };
    const c = middlewareEvent();
    const res = await scanner.post('/scan-events/batch').send({ events: [a, b, c, a] }).expect(200);
    expect(res.body).toEqual({
      results: [
        { index: 0, eventId: a.eventId, status: 'accepted', scanId: a.image.imageId },
        { index: 1, eventId: b.eventId, status: 'rejected', issues: [{ path: 'slideBarcode', message: expect.any(String) }] },
        { index: 2, eventId: c.eventId, status: 'accepted', scanId: c.image.imageId },
        { index: 3, eventId: a.eventId, status: 'duplicate', scanId: a.image.imageId },
      ],
      accepted: 2,
      duplicates: 1,
      rejected: 1,
    });
    const [started] = await waitForScanEvent(a.eventId);
    const [completed] = await waitForScanEvent(c.eventId);
    expect(started?.value).toMatchObject({ type: 'scan.started', data: { receivedVia: 'http' } });
    expect(completed?.value).toMatchObject({ type: 'scan.completed', data: { receivedVia: 'http' } });
    await scanner.get(`/scan-events/${b.eventId}`).expect(404);
  });

  it('writes a batch in one transaction: receipts and outbox records of the accepted events, none for the repeat of an earlier one', async () => {
    const earlier = middlewareEvent();
    await scanner.post('/scan-events').send(earlier).expect(202);
    const slideBarcode = `S26-${randomUUID().slice(0, 8)}-C1-1`;
    const batch = [middlewareEvent({ slideBarcode }), earlier, middlewareEvent({ slideBarcode, eventType: 'scan.started' }), middlewareEvent({ slideBarcode })];
    const res = await scanner.post('/scan-events/batch').send({ events: batch }).expect(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'duplicate', 'accepted', 'accepted']);
    const accepted = batch.filter((e) => e !== earlier).map((e) => e.eventId);
    const prisma = app.get(PrismaService);
    const transactions = await prisma.$queryRawUnsafe<{ table: string; xid: string; n: number }[]>(
      `SELECT 'receipt' AS table, xmin::text AS xid, count(*)::int AS n FROM scanner.scan_event_receipt WHERE event_id = ANY($1) GROUP BY xmin
       UNION ALL
       SELECT 'outbox', xmin::text, count(*)::int FROM scanner.outbox WHERE payload->'data'->>'sourceEventId' = ANY($1) GROUP BY xmin`,
      accepted,
    );
    expect(transactions.map((t) => [t.table, t.n]).sort()).toEqual([
      ['outbox', 3],
      ['receipt', 3],
    ]);
    expect(new Set(transactions.map((t) => t.xid)).size).toBe(1);
    const [earlierReceipt] = await prisma.$queryRawUnsafe<{ xid: string }[]>(`SELECT xmin::text AS xid FROM scanner.scan_event_receipt WHERE event_id = $1`, earlier.eventId);
    expect(earlierReceipt?.xid).not.toBe(transactions[0]?.xid);
  });

  it('takes a full-size batch larger than Express’s default 100 kB body limit', async () => {
    const slideBarcode = `S26-${randomUUID().slice(0, 8)}-B1-1`;
    const events = Array.from({ length: 250 }, () =>
      middlewareEvent({ slideBarcode, image: { imageId: `img-${randomUUID()}`, imageUri: `s3://wsi-archive/2026/11/27/${randomUUID()}/${'x'.repeat(200)}.svs` } }),
    );
    const body = { events };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(100 * 1024);
    const res = await scanner.post('/scan-events/batch').send(body).expect(200);
    expect(res.body.accepted).toBe(250);
    const last = events[events.length - 1]?.eventId as string;
    await waitForScanEvent(last);
    const scans = await scanner.get(`/slides/${slideBarcode}/scans`).expect(200);
    expect(scans.body.receipts).toHaveLength(250);
  });

  it('answers 400 for a body that is not { events: [...] } or has more events than SCAN_BATCH_MAX', async () => {
    const notArray = await scanner.post('/scan-events/batch').send({ events: 'nope' }).expect(400);
    expect(notArray.body.issues[0].path).toBe('events');
    const tooMany = await scanner
      .post('/scan-events/batch')
      .send({ events: Array.from({ length: config.SCAN_BATCH_MAX + 1 }, () => ({})) })
      .expect(400);
    expect(tooMany.body.message).toContain(`at most ${config.SCAN_BATCH_MAX} events`);
  });
});

describe('scanner.ingress.v1', () => {
  it('turns an event produced to the ingress topic into a scan event with receivedVia kafka', async () => {
    const event = middlewareEvent({ purpose: 'consult' });
    await produceRaw(event.slideBarcode, JSON.stringify(event));
    const [message] = await waitForScanEvent(event.eventId, 60_000);
    expect(message?.value).toMatchObject({
      eventId: scanEventIdOf(event.eventId),
      type: 'scan.completed',
      data: { receivedVia: 'kafka', purpose: 'consult', scanId: event.image.imageId, slideBarcode: event.slideBarcode },
    });
    const receipt = await scanner.get(`/scan-events/${event.eventId}`).expect(200);
    expect(receipt.body.receivedVia).toBe('kafka');
  });

  it('takes an event whose x-correlation-id header is 300 characters: a new id is used, the event is not lost', async () => {
    const event = middlewareEvent();
    await producer.send({
      topic: 'scanner.ingress.v1',
      acks: -1,
      messages: [{ key: event.slideBarcode, value: JSON.stringify(event), headers: { 'x-correlation-id': 'c'.repeat(300) } }],
    });
    const [message] = await waitForScanEvent(event.eventId, 60_000);
    expect(message?.value).toMatchObject({ data: { receivedVia: 'kafka' } });
    expect((message?.value as ScanEvent).correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(message?.headers['x-correlation-id']).toBe((message?.value as ScanEvent).correlationId);
  });

  it('keeps one scan event when the same eventId comes first by HTTP and then by Kafka', async () => {
    const event = middlewareEvent();
    await scanner.post('/scan-events').send(event).expect(202);
    await produceRaw(event.slideBarcode, JSON.stringify(event));
    // Same key, same partition: once the sentinel is through, the Kafka copy has been handled.
    const sentinel = middlewareEvent({ slideBarcode: event.slideBarcode, eventType: 'scan.started' });
    await produceRaw(sentinel.slideBarcode, JSON.stringify(sentinel));
    await waitForScanEvent(sentinel.eventId, 60_000);
    const copies = reader.messages.filter(fromSource(event.eventId));
    expect(copies).toHaveLength(1);
    expect(copies[0]?.value).toMatchObject({ data: { receivedVia: 'http' } });
    const receipt = await scanner.get(`/scan-events/${event.eventId}`).expect(200);
    expect(receipt.body.receivedVia).toBe('http');
  });

  it('applies messages sent together in one transaction with their consumed ids; a repeat within them and an event received by HTTP before publish nothing more', async () => {
    const earlier = middlewareEvent();
    await scanner.post('/scan-events').send(earlier).expect(202);
    const slideBarcode = `S26-${randomUUID().slice(0, 8)}-K1-1`;
    const fresh = [middlewareEvent({ slideBarcode }), middlewareEvent({ slideBarcode, eventType: 'scan.started' }), middlewareEvent({ slideBarcode })];
    const [a, b, c] = fresh as [ReturnType<typeof middlewareEvent>, ReturnType<typeof middlewareEvent>, ReturnType<typeof middlewareEvent>];
    // One produce request, one key: one partition, consecutive offsets, fetched as one batch.
    await producer.send({ topic: 'scanner.ingress.v1', acks: -1, messages: [a, earlier, b, a, c].map((e) => ({ key: slideBarcode, value: JSON.stringify(e) })) });
    const [last] = await waitForScanEvent(c.eventId, 60_000);
    expect(last?.value).toMatchObject({ data: { receivedVia: 'kafka', slideBarcode } });
    const prisma = app.get(PrismaService);
    const ids = fresh.map((e) => e.eventId);
    // The receipts and the consumed ids in one transaction (the outbox rows were too, but the relay has
    // marked them published since, which gives them a new xmin).
    const transactions = await prisma.$queryRawUnsafe<{ table: string; xid: string; n: number }[]>(
      `SELECT 'receipt' AS table, xmin::text AS xid, count(*)::int AS n FROM scanner.scan_event_receipt WHERE event_id = ANY($1) GROUP BY xmin
       UNION ALL
       SELECT 'consumed', xmin::text, count(*)::int FROM scanner.consumed_event WHERE consumer = $2 AND event_id = ANY($3) GROUP BY xmin`,
      ids,
      scanner.ingressGroup,
      [...ids, earlier.eventId],
    );
    expect(transactions.map((t) => [t.table, t.n]).sort()).toEqual([
      ['consumed', 4],
      ['receipt', 3],
    ]);
    expect(new Set(transactions.map((t) => t.xid)).size).toBe(1);
    expect(await prisma.outboxMessage.count({ where: { id: { in: ids.map(scanEventIdOf) } } })).toBe(3);
    expect(await prisma.outboxMessage.count({ where: { id: scanEventIdOf(earlier.eventId) } })).toBe(1);
    const receipt = await scanner.get(`/scan-events/${earlier.eventId}`).expect(200);
    expect(receipt.body.receivedVia).toBe('http');
  });

  it('dead-letters invalid JSON and schema-violating messages with the reason and the original value', async () => {
    const marker = randomUUID();
    const notJson = `{"eventId": "broken-${marker}"`;
    const violating = JSON.stringify(middlewareEvent({ eventId: `bad-${marker}`, occurredAt: 'not a time' }));
    await produceRaw(`S-${marker}`, notJson);
    await produceRaw(`S-${marker}`, violating);
    const letters = await reader.waitFor(
      (m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).originalValue?.includes(marker) === true,
      (list) => list.length >= 2,
      60_000,
    );
    const byReason = Object.fromEntries(letters.map((m) => [(m.value as DeadLetter).reason, m.value as DeadLetter]));
    expect(byReason['invalid-json']).toMatchObject({
      service: 'scanner-events',
      consumerGroup: scanner.ingressGroup,
      originalValue: notJson,
      source: { topic: 'scanner.ingress.v1', key: `S-${marker}` },
    });
    expect(byReason['schema-violation']).toMatchObject({
      consumerGroup: scanner.ingressGroup,
      originalValue: violating,
      errors: [{ path: 'occurredAt', message: expect.any(String) }],
    });
    await scanner.get(`/scan-events/bad-${marker}`).expect(404);
    // Both originals are kept whole in the service's own dead_letter table too.
    for (const letter of Object.values(byReason)) {
      expect(letter.originalStored).toMatchObject({ schema: 'scanner', table: 'dead_letter', id: letter.deadLetterId });
      const rows = await app.get(PrismaService).deadLetterMessage.findMany({ where: { id: letter.deadLetterId } });
      expect(Buffer.from(rows[0]?.value ?? []).toString('utf8')).toBe(letter.originalValue);
      expect(rows[0]).toMatchObject({ consumerGroup: scanner.ingressGroup, topic: 'scanner.ingress.v1', reason: letter.reason, key: `S-${marker}` });
    }
  });
});

describe('receipt lookups', () => {
  it('answers 404 for an unknown event id', async () => {
    const res = await scanner.get(`/scan-events/unknown-${randomUUID()}`).expect(404);
    expect(res.body.message).toContain('unknown-');
  });

  it('lists every receipt of a slide, newest first, and an empty list for a slide with none', async () => {
    const base = middlewareEvent();
    const t = Date.parse('2026-11-27T10:00:00Z');
    const started = { ...middlewareEvent({ slideBarcode: base.slideBarcode, eventType: 'scan.started' }), occurredAt: new Date(t).toISOString() };
    const failed = { ...middlewareEvent({ slideBarcode: base.slideBarcode, eventType: 'scan.failed', failureReason: 'focus' }), occurredAt: new Date(t + 60_000).toISOString() };
    const completed = { ...middlewareEvent({ slideBarcode: base.slideBarcode }), occurredAt: new Date(t + 120_000).toISOString() };
    await scanner.post('/scan-events/batch').send({ events: [failed, completed, started] }).expect(200);
    const res = await scanner.get(`/slides/${base.slideBarcode}/scans`).expect(200);
    expect(res.body.slideBarcode).toBe(base.slideBarcode);
    expect(res.body.receipts.map((r: { eventId: string }) => r.eventId)).toEqual([completed.eventId, failed.eventId, started.eventId]);
    const none = await scanner.get(`/slides/NONE-${randomUUID().slice(0, 8)}/scans`).expect(200);
    expect(none.body.receipts).toEqual([]);
    await scanner.get('/slides/a%20b/scans').expect(400);
  });
});
