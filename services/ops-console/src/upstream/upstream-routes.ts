import type { OpsServiceName } from '@slidecharge/contracts';

/** The services the console reads and forwards to. */
export const OWNING_SERVICES: readonly OpsServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];

/** The services that keep dead letters (they consume topics), as GET /api/dead-letters?service= names them. */
export const DEAD_LETTER_SERVICES = ['scanner-events', 'qc', 'billing'] as const satisfies readonly OpsServiceName[];
export type DeadLetterService = (typeof DEAD_LETTER_SERVICES)[number];

export type ServiceUrls = Record<OpsServiceName, string>;

/** A query as forwarded: each name with its values (strings only; anything else is dropped). */
export type ForwardedQuery = Record<string, string | readonly string[] | undefined>;

/**
 * The URL of a route of an owning service: its configured base URL, then path segments each encoded
 * on its own (a segment never adds a "/" or a query), then the query. Callers pass segments they
 * checked against the route's pattern; the encoding is the second line of defence.
 */
export function upstreamUrl(base: string, segments: readonly string[], query: ForwardedQuery = {}): string {
  const path = segments.map((s) => encodeURIComponent(s)).join('/');
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') params.append(name, value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') params.append(name, v);
  }
  const search = params.toString();
  return `${base.replace(/\/+$/, '')}/${path}${search ? `?${search}` : ''}`;
}

/** Whether a text names a service that keeps dead letters. */
export function isDeadLetterService(name: unknown): name is DeadLetterService {
  return typeof name === 'string' && (DEAD_LETTER_SERVICES as readonly string[]).includes(name);
}
