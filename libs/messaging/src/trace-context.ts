import { Attributes, context, Context, isSpanContextValid, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, TextMapGetter, TextMapSetter, trace, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as slidecharge carries it: the
 * `traceparent` and `tracestate` HTTP headers and Kafka record headers, and in each outbox record's
 * stored headers. Only ids and flags travel: never anything about a patient.
 */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** The one propagator: W3C trace context, whatever else may be registered globally. */
export const traceContextPropagator = new W3CTraceContextPropagator();

/** Headers as HTTP (several values possible) or Kafka (decoded to text) give them. */
export type HeaderCarrier = Record<string, string | string[] | undefined>;

const headerGetter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  },
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The trace context the headers carry, on top of `base` (default: none). A missing or invalid
 * `traceparent` (wrong length, not hex, all-zero ids, version ff) gives `base` unchanged: the trace
 * then starts here. Never throws.
 */
export function contextFromHeaders(headers: HeaderCarrier, base: Context = ROOT_CONTEXT): Context {
  return traceContextPropagator.extract(base, headers, headerGetter);
}

/** The `traceparent` (and `tracestate`) headers of the span active in `ctx`; empty when there is none. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  traceContextPropagator.inject(ctx, headers, headerSetter);
  return headers;
}

/** Headers without their trace context, to carry another one. */
export function withoutTraceHeaders(headers: Record<string, string>): Record<string, string> {
  const { [TRACEPARENT_HEADER]: _parent, [TRACESTATE_HEADER]: _state, ...rest } = headers;
  return rest;
}

/** The trace id (32 lower-case hex) of the span active in `ctx`, or undefined outside any trace. */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The trace id a `traceparent` header carries, or undefined when it is missing or invalid. */
export function traceIdOfHeaders(headers: HeaderCarrier): string | undefined {
  return currentTraceId(contextFromHeaders(headers));
}

/** slidecharge's tracer (a no-op until a tracer provider is registered: service-kit's startTracing). */
export function slidechargeTracer(): Tracer {
  return trace.getTracer('slidecharge');
}

export interface SpanOptions {
  name: string;
  kind: SpanKind;
  /** The parent: default the active context. */
  parent?: Context;
  /** No PHI: names of topics, routes and message types only. */
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a new span (child of `parent`), ends it when `fn` settles and marks it failed when
 * `fn` throws (the error's type only; its message may quote data).
 */
export async function inSpan<T>(options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = slidechargeTracer().startSpan(options.name, { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (e) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : 'error' });
    throw e;
  } finally {
    span.end();
  }
}
