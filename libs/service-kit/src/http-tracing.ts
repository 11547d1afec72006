import { IncomingMessage, ServerResponse } from 'node:http';
import { context, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { contextFromHeaders, slidechargeTracer, TRACEPARENT_HEADER, traceHeaders } from '@slidecharge/messaging';

/** What the middleware reads of an Express request after routing: the route template, never the URL. */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/** The route template that answered (`/cases/:accessionNumber`), or undefined when no route did. */
export function routeTemplateOf(req: RoutedRequest): string | undefined {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : undefined;
}

function endServerSpan(span: Span, req: RoutedRequest, res: ServerResponse): void {
  const route = routeTemplateOf(req);
  const method = req.method ?? 'GET';
  if (route) {
    span.setAttribute('http.route', route);
    span.updateName(`${method} ${route}`);
  }
  span.setAttribute('http.response.status_code', res.statusCode);
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * Express middleware (first of all) that runs every request in a server span. An incoming W3C
 * `traceparent`/`tracestate` is continued when valid and ignored when not (never a reason to refuse).
 * The answer carries the span's `traceparent`, so a caller that sent none finds its trace. Attributes
 * name the method, the route template and the status: never the URL (accession numbers, barcodes,
 * FHIR search parameters).
 */
export function httpTracing() {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const parent = contextFromHeaders(req.headers);
    const method = req.method ?? 'GET';
    const span = slidechargeTracer().startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
    const active = trace.setSpan(parent, span);
    const traceparent = traceHeaders(active)[TRACEPARENT_HEADER];
    if (traceparent) res.setHeader(TRACEPARENT_HEADER, traceparent);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      endServerSpan(span, req, res);
    };
    res.once('finish', end);
    res.once('close', end);
    // Body parsers and streamed bodies call back from the socket's events: bind them to the span too.
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
