import { Inject, Injectable } from '@nestjs/common';
import type { DeadLetterSummary, LagMeasure, LagSeries, LagWindow, MetricReading, OpsMetricId, OpsOverview } from '@slidecharge/contracts';
import { READINESS_CHECKS, ReadinessCheck } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { ProjectionRepository } from '../projection/projection.repository';
import { fetchAllPages, fetchJson } from '../upstream/fetched';
import { DEAD_LETTER_SERVICES, OWNING_SERVICES } from '../upstream/upstream-routes';
import { CallerHeaders, UpstreamService } from '../upstream/upstream.service';
import { ConsumerLagService } from './consumer-lag.service';
import { startOfLabDay, startOfLabWeek } from './lab-calendar';
import { bucketSecondsOf, lagPoints, windowMs } from './lag-statistics';
import { projectionReadings } from './projection-readings';
import {
  awaitingRescanReading,
  consumerLagReading,
  countReading,
  DeadLetterList,
  deadLetterReading,
  deliveryReadings,
  Fetched,
  readinessReadings,
  Readiness,
  ReadyService,
  ReviewQueue,
  reviewQueueReadings,
} from './service-readings';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Most pages read of a list that has no total (qc rescans: 200 a page; unmatched scans: 1000 a page). */
const MAX_PAGES = 25;

/**
 * The console's numbers: the projection's from the read model, the others from the owning services'
 * APIs under the caller's own token, consumer lag from the Kafka admin API. A source that fails makes
 * its numbers unavailable with what to do; the rest is still answered.
 */
@Injectable()
export class OverviewService {
  constructor(
    @Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig,
    @Inject(READINESS_CHECKS) private readonly ownChecks: ReadinessCheck[],
    private readonly projection: ProjectionRepository,
    private readonly upstream: UpstreamService,
    private readonly consumerLag: ConsumerLagService,
  ) {}

  async overview(caller: CallerHeaders, now = new Date()): Promise<OpsOverview> {
    const zone = this.config.LAB_TIME_ZONE;
    const windows = { now, dayStart: startOfLabDay(zone, now), weekStart: startOfLabWeek(zone, now) };
    const [facts, services, lags] = await Promise.all([this.projection.factsFor(windows), this.serviceReadings(caller, now), this.consumerLag.lags()]);
    const metrics: Record<OpsMetricId, MetricReading> = {
      ...projectionReadings(facts, windows, this.config.feeSchedule),
      ...services,
      'consumer.lag': consumerLagReading(lags),
    };
    return { asOf: now.toISOString(), labTimeZone: zone, metrics };
  }

  async lagSeries(measure: LagMeasure, window: LagWindow, now = new Date()): Promise<LagSeries> {
    const since = new Date(now.getTime() - windowMs(window));
    const lags = await this.projection.lagsSince(measure === 'scan-to-charge' ? 'scan_to_charge_seconds' : 'case_to_charge_seconds', since);
    const bucketSeconds = bucketSecondsOf(window);
    return { measure, window, bucketSeconds, points: lagPoints(lags, bucketSeconds) };
  }

  private async serviceReadings(caller: CallerHeaders, now: Date) {
    const [queue, rescans, unmatched, deadLetters, deliveries, readiness] = await Promise.all([
      fetchJson(this.upstream, 'billing', ['review-queue'], { limit: '500' }, caller, reviewQueueOf),
      fetchAllPages<{ reasons: string[] }>(this.upstream, 'qc', ['qc', 'rescans'], { limit: '200' }, caller, MAX_PAGES),
      fetchAllPages<unknown>(this.upstream, 'billing', ['unmatched-scans'], { state: 'open', limit: '1000' }, caller, MAX_PAGES),
      Promise.all(DEAD_LETTER_SERVICES.map(async (service) => ({ service, list: await fetchJson(this.upstream, service, ['dead-letters'], { state: 'open' }, caller, deadLetterListOf) }))),
      fetchJson(this.upstream, 'billing', ['deliveries'], { limit: '1' }, caller, deliveryCountsOf),
      this.readiness(),
    ]);
    const unmatchedCount: Fetched<number> = unmatched.ok ? { ok: true, value: unmatched.value.length } : unmatched;
    return {
      ...reviewQueueReadings(queue, this.config.feeSchedule, now),
      'slides.awaiting-rescan': awaitingRescanReading(rescans),
      'scans.unmatched': countReading(unmatchedCount),
      'dead-letters.open': deadLetterReading(deadLetters),
      ...deliveryReadings(deliveries),
      ...readinessReadings(readiness),
    };
  }

  /** Readiness of the four services (their open probe) and of the console itself (its own checks). */
  private async readiness(): Promise<Array<{ service: ReadyService; readiness: Fetched<Readiness> }>> {
    const others = OWNING_SERVICES.map(async (service) => ({
      service,
      readiness: await this.upstream.ready(service).then(
        (answer): Fetched<Readiness> => (isObject(answer.body) && typeof answer.body['status'] === 'string' ? { ok: true, value: answer.body as unknown as Readiness } : { ok: false, problem: `${service} GET /health/ready answered HTTP ${answer.status} without a readiness body` }),
        (e: unknown): Fetched<Readiness> => ({ ok: false, problem: `${service} did not answer GET /health/ready (${(e as Error).message}): check that it runs (npm run stack:status)` }),
      ),
    }));
    return [...(await Promise.all(others)), { service: 'ops-console', readiness: { ok: true, value: await this.ownReadiness() } }];
  }

  private async ownReadiness(): Promise<Readiness> {
    const results = await Promise.all(
      this.ownChecks.map(async (c) => {
        try {
          await Promise.race([c.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref())]);
          return { name: c.name, status: 'up' };
        } catch {
          return { name: c.name, status: 'down' };
        }
      }),
    );
    return { status: results.every((r) => r.status === 'up') ? 'up' : 'down', checks: results };
  }
}

function reviewQueueOf(body: unknown): ReviewQueue | undefined {
  if (!isObject(body) || !Array.isArray(body['items']) || typeof body['total'] !== 'number') return undefined;
  return { items: body['items'] as ReviewQueue['items'], total: body['total'] };
}

function deadLetterListOf(body: unknown): DeadLetterList | undefined {
  if (!isObject(body) || !Array.isArray(body['items']) || typeof body['total'] !== 'number') return undefined;
  return { items: body['items'] as DeadLetterSummary[], total: body['total'] };
}

function deliveryCountsOf(body: unknown): Record<string, number> | undefined {
  return isObject(body) && isObject(body['counts']) ? (body['counts'] as Record<string, number>) : undefined;
}
