import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Charge, EventEnvelope, ScannerMiddlewareEvent, TRACE_HEADER_PATTERN } from '@slidecharge/contracts';
import {
  eventually,
  freePort,
  isoDaysAgo,
  OtlpReceiver,
  principalKafkaConnection,
  ReadMessage,
  ServiceName,
  ServiceProcess,
  TestCaller,
  testEnv,
  testKafka,
  tokenFor,
  TopicReader,
} from '@slidecharge/testing';

/**
 * One W3C trace from the scanner middleware to the charge, through the four services (each its own
 * process built from dist/) on the real Kafka and Postgres: the scan event's traceparent (HTTP header or
 * Kafka header on scanner.ingress.v1) ends up as the traceId of the scan, the QC verdict and the charge,
 * and on the charge record of billing.charges.v1 under billing's own span; every service exports its
 * spans to the OTLP/HTTP receiver the test runs.
 */
const { kafkaBrokers } = testEnv();
const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
const services = {} as Record<ServiceName, ServiceProcess>;
const receiver = new OtlpReceiver();
let reader: TopicReader;
let producer: Producer;

/** The scanner middleware's API key: scanner-events seeds it at start (SCANNER_DEV_API_KEY). */
const SCANNER_API_KEY = 'sck_e2etest01_e2e-development-key-not-a-secret-000';

beforeAll(async () => {
  await receiver.start();
  const env = {
    KAFKA_BROKERS: kafkaBrokers,
    LOG_LEVEL: 'info',
    SCANNER_DEV_API_KEY: SCANNER_API_KEY,
    ACCESSION_MLLP_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  reader = await new TopicReader(kafkaBrokers, ['billing.charges.v1']).start();
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-tracing-logs').start())));
  producer = testKafka('e2e-trace-middleware', principalKafkaConnection('scanner-middleware')).producer();
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await reader?.stop();
  await Promise.all(Object.values(services).map((s) => s.stop()));
  await receiver.stop();
});

type ChargeMessage = EventEnvelope<'charge.posted', Charge>;

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `TRC${run}-${++counter}`;
const newTraceId = () => randomUUID().replace(/-/g, '');
const newSpanId = () => randomUUID().replace(/-/g, '').slice(0, 16);
const traceOf = (traceparent: string | null | undefined) => {
  const match = TRACE_HEADER_PATTERN.exec(traceparent ?? '');
  return match ? { traceId: match[1] as string, spanId: match[2] as string } : undefined;
};

async function http(method: string, url: string, caller: TestCaller | 'scanner-middleware', body?: unknown, headers: Record<string, string> = {}) {
  const credential: Record<string, string> = caller === 'scanner-middleware' ? { 'x-api-key': SCANNER_API_KEY } : { authorization: `Bearer ${await tokenFor(caller)}` };
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...credential, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, traceparent: res.headers.get('traceparent'), body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** A case with one 88305 specimen and one slide, billed as decided (Aetna); waits until billing holds it. */
async function caseWithOneSlide(accessionNumber: string): Promise<{ slide: string; traceparent: string | null }> {
  const slide = `${accessionNumber}-A1-1`;
  const body = {
    accessionNumber,
    patientId: `MRN-${accessionNumber}`,
    payer: { payerId: 'AETNA', name: 'Aetna' },
    collectionDate: isoDaysAgo(1),
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: slide, specimenId: 'A' }],
  };
  const created = await http('POST', `${services.accession.url}/cases`, 'lis-integration', body);
  expect(created.status).toBe(201);
  await eventually(async () => ((await http('GET', `${services.billing.url}/cases/${accessionNumber}/billing`, 'ops-viewer')).status === 200 ? true : undefined), 60_000, 'billing to hold the case');
  return { slide, traceparent: created.traceparent };
}

function scanCompleted(slideBarcode: string): ScannerMiddlewareEvent {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode,
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0, imageId: scanId, imageUri: `wsi://store/${scanId}.svs` },
  };
}

const chargeOf = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as ChargeMessage).type === 'charge.posted' && (m.value as ChargeMessage).data?.accessionNumber === accession;

/** The charge record of the accession on billing.charges.v1. */
async function chargeRecord(accession: string): Promise<ReadMessage> {
  const [record] = await reader.waitFor(chargeOf(accession), (list) => list.length >= 1, 60_000);
  return record as ReadMessage;
}

it('a scan POSTed with a traceparent is charged under that trace: scan, QC verdict, charge and the charge record carry its trace id', async () => {
  const accession = newAccession();
  const { slide, traceparent: caseTraceparent } = await caseWithOneSlide(accession);
  const traceId = newTraceId();
  const sentSpanId = newSpanId();
  const event = scanCompleted(slide);
  const accepted = await http('POST', `${services['scanner-events'].url}/scan-events`, 'scanner-middleware', event, { traceparent: `00-${traceId}-${sentSpanId}-01` });
  expect(accepted.status).toBe(202);
  expect(traceOf(accepted.traceparent)?.traceId).toBe(traceId);

  const record = await chargeRecord(accession);
  const onRecord = traceOf(record.headers['traceparent']);
  expect(onRecord?.traceId).toBe(traceId);
  expect(onRecord?.spanId).not.toBe(sentSpanId);
  const chargeId = (record.value as ChargeMessage).data.chargeId;

  expect((await http('GET', `${services.billing.url}/charges/${chargeId}`, 'ops-viewer')).body['traceId']).toBe(traceId);
  const billing = await http('GET', `${services.billing.url}/cases/${accession}/billing`, 'ops-viewer');
  expect((billing.body['charges'] as Array<{ traceId?: string }>).map((c) => c.traceId)).toEqual([traceId]);
  const scans = await http('GET', `${services['scanner-events'].url}/slides/${slide}/scans`, 'ops-viewer');
  expect((scans.body['receipts'] as Array<{ traceId?: string }>).map((r) => r.traceId)).toEqual([traceId]);
  expect((await http('GET', `${services.qc.url}/qc/results/${event.scanId}`, 'ops-viewer')).body['traceId']).toBe(traceId);
  // The case version was written by the LIS's request, in a trace of its own.
  const caseView = await http('GET', `${services.accession.url}/cases/${accession}`, 'ops-viewer');
  expect(caseView.body['traceId']).toBe(traceOf(caseTraceparent)?.traceId);

  const spans = await eventually(() => {
    const trace = receiver.trace(traceId);
    const found = new Set(trace.map((s) => s.service));
    // Each service exports its spans in batches of its own: billing's consume span can arrive before its relay's send span.
    const sent = trace.some((s) => s.service === 'billing' && s.name === 'send billing.charges.v1');
    if (found.has('scanner-events') && found.has('qc') && sent) return trace;
    throw new Error(`of the trace: ${[...found].join(', ') || 'none'} (billing's send span ${sent ? 'in' : 'not yet in'}); in all: ${receiver.spans.length} spans from ${[...new Set(receiver.spans.map((s) => s.service))].join(', ')}`);
  }, 30_000, "spans of the trace from scanner-events, qc and billing (its send span too) at the OTLP receiver");
  // The record's parent span is billing's send span (a retried send would have made one span per try).
  expect(spans.filter((s) => s.service === 'billing' && s.name === 'send billing.charges.v1').map((s) => s.spanId)).toContain(onRecord?.spanId);
});

it('a scan the middleware writes to scanner.ingress.v1 with a traceparent header is charged under that trace', async () => {
  const accession = newAccession();
  const { slide } = await caseWithOneSlide(accession);
  const traceId = newTraceId();
  const event = scanCompleted(slide);
  await producer.send({ topic: 'scanner.ingress.v1', messages: [{ key: slide, value: JSON.stringify(event), headers: { traceparent: `00-${traceId}-${newSpanId()}-01` } }] });

  const record = await chargeRecord(accession);
  expect(traceOf(record.headers['traceparent'])?.traceId).toBe(traceId);
  const chargeId = (record.value as ChargeMessage).data.chargeId;
  expect((await http('GET', `${services.billing.url}/charges/${chargeId}`, 'ops-viewer')).body['traceId']).toBe(traceId);
  expect((await http('GET', `${services['scanner-events'].url}/scan-events/${event.eventId}`, 'ops-viewer')).body['traceId']).toBe(traceId);
});
