import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { traceContextPropagator } from '@slidecharge/messaging';

/** The variables that turn span export on (the OTLP/HTTP exporter reads them itself, with OTEL_EXPORTER_OTLP_HEADERS...). */
export const OTLP_ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const;

/** Where spans go: the OTLP/HTTP endpoint the environment names, or nowhere. */
export function traceExportTarget(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const specific = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (specific) return specific;
  const general = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  return general ? `${general.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export interface ServiceTracing {
  readonly service: string;
  /** The OTLP/HTTP URL spans are exported to; undefined: spans are made (ids propagate) but sent nowhere. */
  readonly exportTo: string | undefined;
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes, stops exporting and unregisters the provider (the next startTracing registers anew). */
  shutdown(): Promise<void>;
}

let registered: ServiceTracing | undefined;

/**
 * Registers the process's tracer provider for `service` (service.name), once per process: later calls
 * return the first registration. W3C trace context is the propagator; sampling is the SDK's default,
 * parent-based with every root sampled, unless OTEL_TRACES_SAMPLER (and OTEL_TRACES_SAMPLER_ARG) say
 * otherwise. Spans are exported over OTLP/HTTP in batches only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * or OTEL_EXPORTER_OTLP_ENDPOINT is set; without either, nothing leaves the process, while trace ids are
 * still made, propagated and stored.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): ServiceTracing {
  if (registered) return registered;
  const exportTo = traceExportTarget(env);
  const spanProcessors: SpanProcessor[] = exportTo ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: exportTo }))] : [];
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors });
  provider.register({ propagator: traceContextPropagator });
  const tracing: ServiceTracing = {
    service,
    exportTo,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      if (registered === tracing) registered = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  registered = tracing;
  return tracing;
}

/** The registration of this process, if any. */
export function currentTracing(): ServiceTracing | undefined {
  return registered;
}
