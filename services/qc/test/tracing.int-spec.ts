import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { QcEvent, TRACE_HEADER_PATTERN } from '@slidecharge/contracts';
import { buildEvent, createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import { createServiceApp, currentTracing } from '@slidecharge/service-kit';
import {
  asCaller,
  deleteGroup,
  ensureServiceBuilt,
  eventually,
  freePort,
  identityEnv,
  OtlpReceiver,
  ReadMessage,
  serviceDatabaseUrl,
  ServiceProcess,
  startGroupAtEnd,
  testEnv,
  tokenFor,
  TopicReader,
} from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { QC_SERVICE } from '../src/openapi';
import { QcResultView } from '../src/qc/qc.dto';
import { GOOD, newBarcode } from './harness';

/**
 * Tracing of qc against the real Kafka, Postgres and identity provider: in-process, a request and a
 * scan event continue the caller's W3C trace and the verdict and its record on qc.results.v1 carry it;
 * as its own process (built, as in production), spans go to a small OTLP/HTTP receiver the test runs
 * only when OTEL_EXPORTER_OTLP_ENDPOINT names it. One qc at a time: they share the file's consumer group.
 */
const { kafkaBrokers, kafka, kafkaEnv } = testEnv();
const receiver = new OtlpReceiver();
const group = `qc-it-${randomUUID()}`;
let bus: KafkaBus;
let reader: TopicReader;
let app: INestApplication | undefined;
let qcProcess: ServiceProcess | undefined;

const newTraceId = () => randomUUID().replace(/-/g, '');
const traceparentOf = (traceId: string, spanId = randomUUID().replace(/-/g, '').slice(0, 16)) => `00-${traceId}-${spanId}-01`;
const parsed = (traceparent: string | undefined) => {
  const match = TRACE_HEADER_PATTERN.exec(traceparent ?? '');
  return match ? { traceId: match[1] as string, spanId: match[2] as string } : undefined;
};

async function startQc(): Promise<INestApplication> {
  const config = loadServiceConfig({ ...kafkaEnv, DATABASE_URL: serviceDatabaseUrl('qc'), LOG_LEVEL: 'warn', ...identityEnv(), PORT: '0', QC_CONSUMER_GROUP: group });
  const started = await createServiceApp(AppModule.forRoot(config), QC_SERVICE, { logger: false });
  await started.init();
  return started;
}

/** qc as its own process, exporting to `endpoint` ('' = the variables empty: no export), batches sent every 100 ms. */
async function startQcProcess(endpoint: string): Promise<ServiceProcess> {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_BSP_SCHEDULE_DELAY: '100', QC_CONSUMER_GROUP: group };
  qcProcess = await new ServiceProcess('qc', await freePort(), env, 'qc-tracing').start(120_000);
  return qcProcess;
}

const http = () => asCaller((app as INestApplication).getHttpServer(), 'ops-viewer');

/** A completed scan on scan.events.v1 carrying `traceparent`, as scanner-events' relay sends it. */
function tracedScan(traceparent: string): OutgoingMessage<'scan.events.v1'> {
  const slideBarcode = newBarcode();
  const data = {
    scanId: `scan-${randomUUID()}`,
    slideBarcode,
    scannerId: 'GT450-1',
    scannedAt: new Date().toISOString(),
    purpose: 'diagnostic' as const,
    receivedVia: 'kafka' as const,
    sourceEventId: `mw-${randomUUID()}`,
    image: GOOD,
  };
  const event = buildEvent('scan.events.v1', 'scan.completed', slideBarcode, data, { producer: 'scanner-events' });
  return { ...event, headers: { ...event.headers, traceparent } };
}

const verdictOf = (scanId: string) => (m: ReadMessage) => m.topic === 'qc.results.v1' && (m.value as QcEvent).data?.scanId === scanId;

beforeAll(async () => {
  ensureServiceBuilt('qc', ['contracts', 'messaging', 'service-kit', 'qc-rules', 'kafka-client']);
  await receiver.start();
  await startGroupAtEnd(kafkaBrokers, group, ['scan.events.v1']);
  bus = new KafkaBus({ connection: kafka, clientId: 'qc-tracing-test', service: 'qc-tracing-test', logger: createLogger('qc-tracing-test', 'warn') });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, ['qc.results.v1']).start();
}, 420_000);

afterAll(async () => {
  await app?.close();
  await qcProcess?.stop('SIGKILL').catch(() => undefined);
  await reader?.stop();
  await bus?.disconnect();
  await receiver.stop();
  await deleteGroup(kafkaBrokers, group);
});

describe('in-process: the trace travels and is stored', () => {
  beforeAll(async () => {
    app = await startQc();
  });
  afterAll(async () => {
    await app?.close();
    app = undefined;
  });

  it("a request continues the caller's trace and answers with its own span's traceparent", async () => {
    const traceId = newTraceId();
    const sent = traceparentOf(traceId);
    const res = await http().get(`/qc/results/scan-${randomUUID()}`).set('traceparent', sent).set('tracestate', 'mw=1').expect(404);
    const answered = parsed(res.headers['traceparent']);
    expect(answered?.traceId).toBe(traceId);
    expect(answered?.spanId).not.toBe(parsed(sent)?.spanId);
  });

  it.each(['garbage', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'A'.repeat(32)}-${'1'.repeat(16)}-01`, 'x'.repeat(5000)])(
    'an invalid traceparent (%#) is ignored: the request is served in a new trace',
    async (traceparent) => {
      const res = await http().get('/qc/results?limit=1').set('traceparent', traceparent).expect(200);
      const answered = parsed(res.headers['traceparent']);
      expect(answered?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceparent).not.toContain(answered?.traceId);
    },
  );

  it('a scan event continues its trace: the verdict stores it and its record carries it under a new span', async () => {
    expect(currentTracing()?.exportTo).toBeUndefined();
    const traceId = newTraceId();
    const incoming = traceparentOf(traceId);
    const scan = tracedScan(incoming);
    await bus.publish([scan]);
    const [record] = await reader.waitFor(verdictOf(scan.value.data.scanId), (l) => l.length >= 1);
    const published = parsed(record?.headers['traceparent']);
    expect(published?.traceId).toBe(traceId);
    expect(published?.spanId).not.toBe(parsed(incoming)?.spanId);

    const view = (await http().get(`/qc/results/${scan.value.data.scanId}`).expect(200)).body as QcResultView;
    expect(view.traceId).toBe(traceId);
    const bySlide = await http().get(`/slides/${scan.value.data.slideBarcode}/qc`).expect(200);
    expect((bySlide.body as { verdicts: QcResultView[] }).verdicts.map((v) => v.traceId)).toEqual([traceId]);
  });
});

describe('as its own process with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  afterAll(async () => {
    await qcProcess?.stop();
    qcProcess = undefined;
  });

  it('exports the spans of a request and of a scan event to the endpoint, under service.name qc and the caller\'s trace id', async () => {
    const qc = await startQcProcess(receiver.url);
    const traceId = newTraceId();
    const incoming = traceparentOf(traceId);
    const scan = tracedScan(incoming);
    await bus.publish([scan]);
    const [record] = await reader.waitFor(verdictOf(scan.value.data.scanId), (l) => l.length >= 1);
    const published = parsed(record?.headers['traceparent']);
    const res = await fetch(`${qc.url}/qc/results/${scan.value.data.scanId}`, { headers: { authorization: `Bearer ${await tokenFor('ops-viewer')}`, traceparent: incoming } });
    expect(res.status).toBe(200);

    const spans = await eventually(() => {
      const found = receiver.trace(traceId);
      return found.some((s) => s.name.startsWith('GET')) && found.some((s) => s.name.startsWith('send')) ? found : undefined;
    }, 30_000, 'the spans of the trace at the OTLP receiver');
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['qc']));
    const consumer = spans.find((s) => s.name === 'process scan.events.v1');
    const producer = spans.find((s) => s.name === 'send qc.results.v1');
    expect(consumer?.parentSpanId).toBe(parsed(incoming)?.spanId);
    expect(producer?.spanId).toBe(published?.spanId);
    expect(producer?.attributes['messaging.destination.name']).toBe('qc.results.v1');
    expect(spans.find((s) => s.name === 'GET /qc/results/:scanId')?.attributes['http.route']).toBe('/qc/results/:scanId');
    // Route templates and topic names only: no slide barcode, scan id or URL in any span.
    const exported = JSON.stringify(spans);
    expect(exported).not.toContain(scan.value.data.slideBarcode);
    expect(exported).not.toContain(scan.value.data.scanId);
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);
  }, 180_000);
});

describe('as its own process without an endpoint', () => {
  it('sends nothing, from start to a clean stop, while trace ids still travel', async () => {
    receiver.requests.length = 0;
    receiver.spans.length = 0;
    const qc = await startQcProcess('');
    const traceId = newTraceId();
    const scan = tracedScan(traceparentOf(traceId));
    await bus.publish([scan]);
    const [record] = await reader.waitFor(verdictOf(scan.value.data.scanId), (l) => l.length >= 1);
    expect(parsed(record?.headers['traceparent'])?.traceId).toBe(traceId);
    const res = await fetch(`${qc.url}/qc/results/${scan.value.data.scanId}`, { headers: { authorization: `Bearer ${await tokenFor('ops-viewer')}` } });
    expect(res.status).toBe(200);
    expect(parsed(res.headers.get('traceparent') ?? undefined)).toBeDefined();

    expect(await qc.stop()).toBe(0);
    qcProcess = undefined;
    expect(receiver.requests).toEqual([]);
  }, 180_000);
});
