import { Inject, Injectable } from '@nestjs/common';
import type { OpsServiceName } from '@slidecharge/contracts';
import { currentCorrelationId } from '@slidecharge/messaging';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { ForwardedQuery, ServiceUrls, upstreamUrl } from './upstream-routes';

/** What the console forwards of the caller's request: their credential (and trace context). */
export interface CallerHeaders {
  authorization?: string | undefined;
  traceparent?: string | undefined;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  segments: readonly string[];
  query?: ForwardedQuery;
  body?: unknown;
}

/** An owning service's answer: its status and its JSON body (null when it sent none or not JSON). */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

/** The service could not be reached, or did not answer in time. */
export class UpstreamUnreachableError extends Error {
  constructor(
    readonly service: OpsServiceName,
    reason: string,
  ) {
    super(`${service} could not be reached: ${reason}`);
  }
}

/**
 * HTTP calls to the owning services with the signed-in caller's own token (the owning service decides
 * what the caller may do and audits it) and the request's correlation id. URLs come from the configured
 * base URLs and checked path segments only (upstream-routes.ts).
 */
@Injectable()
export class UpstreamService {
  private readonly urls: ServiceUrls;

  constructor(@Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig) {
    this.urls = { accession: config.ACCESSION_URL, 'scanner-events': config.SCANNER_EVENTS_URL, qc: config.QC_URL, billing: config.BILLING_URL };
  }

  urlOf(service: OpsServiceName): string {
    return this.urls[service];
  }

  async call(service: OpsServiceName, request: UpstreamRequest, caller: CallerHeaders = {}): Promise<UpstreamAnswer> {
    const url = upstreamUrl(this.urls[service], request.segments, request.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (caller.authorization) headers['authorization'] = caller.authorization;
    if (caller.traceparent) headers['traceparent'] = caller.traceparent;
    const correlationId = currentCorrelationId();
    if (correlationId) headers['x-correlation-id'] = correlationId;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(this.config.OPS_CONSOLE_UPSTREAM_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      throw new UpstreamUnreachableError(service, (e as Error).name === 'TimeoutError' ? `no answer within ${this.config.OPS_CONSOLE_UPSTREAM_TIMEOUT_MS} ms` : (e as Error).message);
    }
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return { status: res.status, body };
  }

  /** GET of a service's readiness (no credential: the probe is open). */
  ready(service: OpsServiceName): Promise<UpstreamAnswer> {
    return this.call(service, { method: 'GET', segments: ['health', 'ready'] });
  }
}
