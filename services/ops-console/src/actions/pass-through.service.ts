import { HttpException, Injectable } from '@nestjs/common';
import type { DeadLetterSummary, OpsServiceName } from '@slidecharge/contracts';
import { DeadLetterService, DEAD_LETTER_SERVICES, ForwardedQuery } from '../upstream/upstream-routes';
import { CallerHeaders, UpstreamRequest, UpstreamService, UpstreamUnreachableError } from '../upstream/upstream.service';

/** The response of a pass-through route: its status is set to the owning service's. */
export interface StatusResponse {
  status(code: number): unknown;
}

/** A dead letter as the console lists it: the owning service's summary and which service keeps it. */
export type ServiceDeadLetter = DeadLetterSummary & { service: DeadLetterService };

export interface MergedDeadLetters {
  items: ServiceDeadLetter[];
  total: number;
  nextCursor: null;
  /** Services whose list could not be read (the list is partial and says so). */
  missing: Array<{ service: DeadLetterService; status: number | null; reason: string }>;
}

/** Query parameters of a request as the owning service gets them (the console's own ones left out). */
export function forwardedQuery(query: Record<string, unknown>, own: readonly string[] = []): ForwardedQuery {
  const out: ForwardedQuery = {};
  for (const [name, value] of Object.entries(query)) {
    if (own.includes(name)) continue;
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/**
 * Forwards a console request to the owning service under the caller's token and answers with the
 * service's status and JSON body unchanged: a 2xx as the answer, anything else as an HTTP error whose
 * body is the service's own (its 400/403/404/409 reach the browser as they are). A service that
 * cannot be reached answers 502.
 */
@Injectable()
export class PassThroughService {
  constructor(private readonly upstream: UpstreamService) {}

  async forward(response: StatusResponse, service: OpsServiceName, request: UpstreamRequest, caller: CallerHeaders): Promise<unknown> {
    const answer = await this.call(service, request, caller);
    if (answer.status < 200 || answer.status > 299) throw new HttpException(answer.body ?? { error: 'upstream_error', message: `${service} answered HTTP ${answer.status}` }, answer.status);
    response.status(answer.status);
    return answer.body;
  }

  async call(service: OpsServiceName, request: UpstreamRequest, caller: CallerHeaders) {
    try {
      return await this.upstream.call(service, request, caller);
    } catch (e) {
      if (!(e instanceof UpstreamUnreachableError)) throw e;
      throw new HttpException({ error: 'upstream_unavailable', message: `${e.message}; try again, or check that ${service} runs` }, 502);
    }
  }

  /** GET /dead-letters of each service (or one), merged newest first; each item names its service. */
  async deadLetters(services: readonly DeadLetterService[], query: ForwardedQuery, caller: CallerHeaders): Promise<MergedDeadLetters> {
    const lists = await Promise.all((services.length ? services : DEAD_LETTER_SERVICES).map((service) => this.deadLettersOf(service, query, caller)));
    const items = lists.flatMap((l) => l.items).sort((a, b) => b.failedAt.localeCompare(a.failedAt));
    return { items, total: lists.reduce((sum, l) => sum + l.total, 0), nextCursor: null, missing: lists.flatMap((l) => (l.missing ? [l.missing] : [])) };
  }

  private async deadLettersOf(service: DeadLetterService, query: ForwardedQuery, caller: CallerHeaders) {
    const missing = (status: number | null, reason: string) => ({ items: [] as ServiceDeadLetter[], total: 0, missing: { service, status, reason } });
    let answer;
    try {
      answer = await this.upstream.call(service, { method: 'GET', segments: ['dead-letters'], query }, caller);
    } catch (e) {
      return missing(null, (e as Error).message);
    }
    const body = answer.body as { items?: unknown; total?: unknown } | null;
    if (answer.status !== 200 || !Array.isArray(body?.items)) return missing(answer.status, `${service} answered GET /dead-letters with HTTP ${answer.status}`);
    const items = (body.items as DeadLetterSummary[]).map((item) => ({ ...item, service }));
    return { items, total: typeof body.total === 'number' ? body.total : items.length, missing: undefined };
  }
}
