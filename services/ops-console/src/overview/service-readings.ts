import { estimateCents, FeeSchedule } from '@slidecharge/billing-rules';
import type { DeadLetterSummary, MetricReading, OpsServiceName } from '@slidecharge/contracts';
import type { GroupLag } from '@slidecharge/messaging';
import { breakdownOf, reading, tally, unavailable } from './readings';

/** A source's answer as the numbers need it, or what went wrong reading it. */
export type Fetched<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The services the console counts as "services" (its own readiness included). */
export type ReadyService = OpsServiceName | 'ops-console';

/**
 * What to do when an owning service's route did not give an answer: the route, the status and the
 * likely remedy (a 403 is the caller's role; a 404 a service without the route yet; else its health).
 */
export function problemOf(service: string, route: string, status: number | 'unreachable', detail?: string): string {
  if (status === 'unreachable') return `${service} did not answer ${route}${detail ? ` (${detail})` : ''}: check that ${service} runs (npm run stack:status) and its URL setting`;
  if (status === 401 || status === 403) return `${service} refused ${route} (HTTP ${status}) for your sign-in: the number needs a role that may read it`;
  if (status === 404) return `${service} answered ${route} with HTTP 404: no such record, or ${service} lacks the route (update ${service})`;
  return `${service} answered ${route} with HTTP ${status}: look at ${service}'s log and readiness`;
}

/** A held charge as billing GET /review-queue lists it (the fields the numbers read). */
export interface HeldCharge {
  code: string;
  payerId: string;
  units: number;
  /** When it entered its state (held). */
  statusChangedAt: string;
}

export interface ReviewQueue {
  items: HeldCharge[];
  total: number;
}

/** held.count, held.amount and review.oldest.seconds from one answer of billing GET /review-queue. */
export function reviewQueueReadings(
  queue: Fetched<ReviewQueue>,
  schedule: FeeSchedule | null,
  now: Date,
): Record<'held.count' | 'held.amount' | 'review.oldest.seconds', MetricReading> {
  if (!queue.ok) return { 'held.count': unavailable(queue.problem), 'held.amount': unavailable(queue.problem), 'review.oldest.seconds': unavailable(queue.problem) };
  const { items, total } = queue.value;
  const byCode = new Map<string, number>();
  const valueByCode = new Map<string, number>();
  let value = 0;
  for (const item of items) {
    tally(byCode, item.code);
    const cents = schedule ? estimateCents(schedule, item.code, item.payerId, item.units) : null;
    if (cents !== null) {
      value += cents;
      tally(valueByCode, item.code, cents);
    }
  }
  const oldest = items.reduce<number | null>((min, i) => {
    const t = Date.parse(i.statusChangedAt);
    return Number.isNaN(t) ? min : min === null ? t : Math.min(min, t);
  }, null);
  const partial = items.length < total ? { unavailable: `the value and breakdown cover the ${items.length} oldest of ${total} held charges (billing lists at most 500)` } : {};
  return {
    'held.count': reading(total, { code: breakdownOf(byCode) }),
    'held.amount': schedule ? { ...reading(value, { code: breakdownOf(valueByCode) }), ...partial } : { value: null },
    'review.oldest.seconds': reading(oldest === null ? null : Math.max(0, Math.round((now.getTime() - oldest) / 1000))),
  };
}

/** slides.awaiting-rescan from every page of qc GET /qc/rescans (it has no total). */
export function awaitingRescanReading(items: Fetched<Array<{ reasons: string[] }>>): MetricReading {
  if (!items.ok) return unavailable(items.problem);
  const byReason = new Map<string, number>();
  for (const item of items.value) for (const reason of new Set(item.reasons)) tally(byReason, reason);
  return reading(items.value.length, { reason: breakdownOf(byReason) });
}

/** A count read by paging a list that has no total. */
export function countReading(count: Fetched<number>): MetricReading {
  return count.ok ? reading(count.value) : unavailable(count.problem);
}

export interface DeadLetterList {
  items: DeadLetterSummary[];
  total: number;
}

/** dead-letters.open over the services that keep dead letters: the total of those that answered. */
export function deadLetterReading(lists: ReadonlyArray<{ service: string; list: Fetched<DeadLetterList> }>): MetricReading {
  const byService = new Map<string, number>();
  const byTopic = new Map<string, number>();
  const byReason = new Map<string, number>();
  const problems: string[] = [];
  let total = 0;
  let answered = 0;
  for (const { service, list } of lists) {
    if (!list.ok) {
      problems.push(list.problem);
      continue;
    }
    answered++;
    total += list.value.total;
    byService.set(service, list.value.total);
    for (const item of list.value.items) {
      tally(byTopic, item.topic);
      tally(byReason, item.reason);
    }
  }
  const breakdowns = { service: breakdownOf(byService), topic: breakdownOf(byTopic), reason: breakdownOf(byReason) };
  const base = answered ? reading(total, breakdowns) : { value: null };
  return problems.length ? { ...base, unavailable: problems.join('; ') } : base;
}

/** deliveries.failed and deliveries.pending from billing GET /deliveries (its counts per state, over all accessions). */
export function deliveryReadings(counts: Fetched<Record<string, number>>): Record<'deliveries.failed' | 'deliveries.pending', MetricReading> {
  if (!counts.ok) return { 'deliveries.failed': unavailable(counts.problem), 'deliveries.pending': unavailable(counts.problem) };
  const pending = counts.value['pending'] ?? 0;
  const inFlight = counts.value['in-flight'] ?? 0;
  return {
    'deliveries.failed': reading(counts.value['failed'] ?? 0),
    'deliveries.pending': reading(pending + inFlight, {
      state: breakdownOf(
        new Map([
          ['pending', pending],
          ['in-flight', inFlight],
        ]),
      ),
    }),
  };
}

/** One service's readiness answer (GET /health/ready: 200 up, 503 down, both with checks). */
export interface Readiness {
  status: string;
  checks?: Array<{ name?: string; status?: string; backlog?: unknown; pending?: unknown }>;
}

/** The outbox backlog a readiness answer reports: the check's `backlog` where present, else the relay check's `pending`. */
export function outboxBacklogOf(readiness: Readiness): number | null {
  const checks = readiness.checks ?? [];
  const withBacklog = checks.find((c) => typeof c.backlog === 'number');
  if (withBacklog) return withBacklog.backlog as number;
  const relay = checks.find((c) => c.name === 'outbox-relay' && typeof c.pending === 'number');
  return relay ? (relay.pending as number) : null;
}

/** services.up and outbox.backlog from every service's readiness. */
export function readinessReadings(answers: ReadonlyArray<{ service: ReadyService; readiness: Fetched<Readiness> }>): Record<'services.up' | 'outbox.backlog', MetricReading> {
  const up = new Map<string, number>();
  const backlog = new Map<string, number>();
  for (const { service, readiness } of answers) {
    up.set(service, readiness.ok && readiness.value.status === 'up' ? 1 : 0);
    const pending = readiness.ok ? outboxBacklogOf(readiness.value) : null;
    if (pending !== null) backlog.set(service, pending);
  }
  const down = answers.filter((a) => !a.readiness.ok).map((a) => (a.readiness.ok ? '' : a.readiness.problem));
  const total = [...backlog.values()].reduce((a, b) => a + b, 0);
  return {
    'services.up': reading([...up.values()].reduce((a, b) => a + b, 0), { service: breakdownOf(up) }),
    'outbox.backlog': { ...reading(backlog.size ? total : null, { service: breakdownOf(backlog) }), ...(down.length ? { unavailable: down.join('; ') } : {}) },
  };
}

/** consumer.lag by group, from the Kafka admin API. */
export function consumerLagReading(lags: Fetched<GroupLag[]>): MetricReading {
  if (!lags.ok) return unavailable(lags.problem);
  return reading(
    lags.value.reduce((sum, g) => sum + g.lag, 0),
    { group: breakdownOf(new Map(lags.value.map((g) => [g.group, g.lag]))) },
  );
}
