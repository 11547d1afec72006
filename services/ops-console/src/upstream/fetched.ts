import type { OpsServiceName } from '@slidecharge/contracts';
import type { Fetched } from '../overview/service-readings';
import { problemOf } from '../overview/service-readings';
import type { ForwardedQuery } from './upstream-routes';
import type { CallerHeaders, UpstreamService } from './upstream.service';

/** A GET of an owning service's JSON, read through `pick` (which returns undefined for an answer of the wrong shape). */
export async function fetchJson<T>(
  upstream: UpstreamService,
  service: OpsServiceName,
  segments: readonly string[],
  query: ForwardedQuery,
  caller: CallerHeaders,
  pick: (body: unknown) => T | undefined,
): Promise<Fetched<T>> {
  const route = `GET /${segments.join('/')}`;
  try {
    const answer = await upstream.call(service, { method: 'GET', segments, query }, caller);
    if (answer.status < 200 || answer.status > 299) return { ok: false, problem: problemOf(service, route, answer.status) };
    const value = pick(answer.body);
    return value === undefined ? { ok: false, problem: `${service} answered ${route} in a shape the console does not know: update the console or ${service}` } : { ok: true, value };
  } catch (e) {
    return { ok: false, problem: problemOf(service, route, 'unreachable', (e as Error).message) };
  }
}

/** Every item of a paged list without a total (items + nextCursor), up to `maxPages` pages. */
export async function fetchAllPages<T>(
  upstream: UpstreamService,
  service: OpsServiceName,
  segments: readonly string[],
  query: ForwardedQuery,
  caller: CallerHeaders,
  maxPages: number,
): Promise<Fetched<T[]>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const fetched = await fetchJson(upstream, service, segments, { ...query, ...(cursor ? { cursor } : {}) }, caller, pageOf<T>);
    if (!fetched.ok) return fetched;
    items.push(...fetched.value.items);
    cursor = fetched.value.nextCursor ?? undefined;
    if (!cursor) return { ok: true, value: items };
  }
  return { ok: false, problem: `${service} GET /${segments.join('/')} has more than ${maxPages} pages: the count is too large to read here, use ${service}'s API` };
}

function pageOf<T>(body: unknown): { items: T[]; nextCursor?: string | null } | undefined {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { items?: unknown }).items)) return undefined;
  const { items, nextCursor } = body as { items: T[]; nextCursor?: unknown };
  return { items, nextCursor: typeof nextCursor === 'string' && nextCursor ? nextCursor : null };
}
