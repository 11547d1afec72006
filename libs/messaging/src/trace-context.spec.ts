import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { contextFromHeaders, currentTraceId, inSpan, traceHeaders, traceIdOfHeaders, withoutTraceHeaders } from './trace-context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

describe('extract and inject (W3C traceparent)', () => {
  it('reads the trace id and parent span of a valid traceparent and writes them back unchanged', () => {
    const ctx = contextFromHeaders({ traceparent: TRACEPARENT, tracestate: 'lab=scanner-7' });
    expect(currentTraceId(ctx)).toBe(TRACE_ID);
    expect(traceHeaders(ctx)).toEqual({ traceparent: TRACEPARENT, tracestate: 'lab=scanner-7' });
  });

  it('takes the first value of a header given twice (HTTP), and Kafka headers decoded to text', () => {
    expect(traceIdOfHeaders({ traceparent: [TRACEPARENT, `00-${'1'.repeat(32)}-${SPAN_ID}-01`] })).toBe(TRACE_ID);
    expect(traceIdOfHeaders({ 'x-correlation-id': 'c-1', traceparent: TRACEPARENT })).toBe(TRACE_ID);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not hex', `00-${'g'.repeat(32)}-${SPAN_ID}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['garbage', 'not a traceparent; DROP TABLE'],
    ['too long for version 00', `${TRACEPARENT}-extra`],
  ])('ignores a %s traceparent: no trace, nothing to inject, no error', (_what, traceparent) => {
    const headers = traceparent === undefined ? {} : { traceparent };
    const ctx = contextFromHeaders(headers);
    expect(ctx).toBe(ROOT_CONTEXT);
    expect(currentTraceId(ctx)).toBeUndefined();
    expect(traceHeaders(ctx)).toEqual({});
  });

  it('keeps the base context when the headers carry no valid trace', () => {
    const base = contextFromHeaders({ traceparent: TRACEPARENT });
    expect(currentTraceId(contextFromHeaders({ traceparent: 'bad' }, base))).toBe(TRACE_ID);
  });

  it('drops the trace headers of a record so another trace context can replace them', () => {
    expect(withoutTraceHeaders({ 'x-producer': 'qc', traceparent: TRACEPARENT, tracestate: 'a=b' })).toEqual({ 'x-producer': 'qc' });
  });

  it('outside any span there is no trace id and nothing to inject', () => {
    expect(currentTraceId()).toBeUndefined();
    expect(traceHeaders()).toEqual({});
  });
});

describe('inSpan', () => {
  it('runs the work in a child of the extracted context: same trace, new span id, across awaits', async () => {
    const seen = await inSpan({ name: 'process scan.events.v1', kind: SpanKind.CONSUMER, parent: contextFromHeaders({ traceparent: TRACEPARENT }) }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return { traceId: currentTraceId(), headers: traceHeaders() };
    });
    expect(seen.traceId).toBe(TRACE_ID);
    expect(seen.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(seen.headers.traceparent).not.toContain(SPAN_ID);
    const [span] = exporter.getFinishedSpans();
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.parentSpanContext?.spanId).toBe(SPAN_ID);
  });

  it('starts a new trace without a parent, and marks the span failed with the error type only when the work throws', async () => {
    const work = inSpan({ name: 'hl7 receive', kind: SpanKind.SERVER, attributes: { 'hl7.message_type': 'ORM^O01' } }, async () => {
      expect(currentTraceId()).toMatch(/^[0-9a-f]{32}$/);
      throw new TypeError('patient MRN-0042 not found');
    });
    await expect(work).rejects.toThrow(TypeError);
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError' });
    expect(span?.attributes).toEqual({ 'hl7.message_type': 'ORM^O01' });
  });
});
