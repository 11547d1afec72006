import { randomUUID } from 'node:crypto';
import type { DeadLetterDetail, DeadLetterPage, DeadLetterReplayResult, DeadLetterSummary } from '@slidecharge/contracts';
import {
  DeadLetterCursor,
  DeadLetterReplayRow,
  DeadLetterRow,
  DeadLetterState,
  encodeDeadLetterCursor,
  ReplayResult,
  statesOfFilter,
  toDeadLetterSummary,
  toOriginalView,
} from './dead-letter-views';
import { messagingMetrics } from './metrics';
import { quoteSchema, RunInTransaction, SqlExecutor } from './sql';

/** Which dead letters to list (newest first). */
export interface DeadLetterFilter {
  state?: DeadLetterState | undefined;
  topic?: string | undefined;
  reason?: string | undefined;
  limit: number;
  cursor?: DeadLetterCursor | undefined;
}

/** A dead letter's stored original, as the consumer read it: what a replay runs again. */
export interface ReplayableMessage {
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

/** What POST /dead-letters/:id/replay answers. */
export type DeadLetterReplayAnswer = DeadLetterReplayResult;

/** Who replays and why (kept on the replay row). */
export interface ReplayRequest {
  by: string;
  justification: string;
}

/** Open dead letters (not yet consumed by a replay) by topic and reason. */
export interface OpenDeadLetterCount {
  topic: string;
  reason: string;
  count: number;
}

const SUMMARY_COLUMNS = `id::text AS id, failed_at, consumer_group, topic, partition, "offset", reason, message, size_bytes, state`;

interface OriginalRow extends DeadLetterRow {
  key: string | null;
  headers: Record<string, string> | string;
  value: Uint8Array | null;
}

const headersOf = (value: OriginalRow['headers']): Record<string, string> => (typeof value === 'string' ? (JSON.parse(value) as Record<string, string>) : value ?? {});
const bytesOf = (value: Uint8Array | null): Buffer | null => (value === null ? null : Buffer.from(value));

/**
 * The dead letters of a service's schema as people see them: list, read one with its original,
 * replay one. A replay locks the row (concurrent replays of it wait for each other), runs the stored
 * original through the consumer (`run`: the same handler and the same exactly-once path as the
 * consumer group), then records who, why and the outcome. A dead letter once consumed by a replay is
 * never run again.
 */
export class SqlDeadLetterArchive {
  private readonly table: string;
  private readonly replays: string;

  constructor(
    private readonly db: SqlExecutor,
    private readonly transaction: RunInTransaction,
    readonly schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.dead_letter`;
    this.replays = `${quoteSchema(schema)}.dead_letter_replay`;
  }

  async list(filter: DeadLetterFilter): Promise<DeadLetterPage> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      values.push(value);
      where.push(sql(values.length));
    };
    if (filter.state) add((n) => `state = ANY($${n}::text[])`, statesOfFilter(filter.state));
    if (filter.topic) add((n) => `topic = $${n}`, filter.topic);
    if (filter.reason) add((n) => `reason = $${n}`, filter.reason);
    const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const counted = await this.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${this.table} ${filtered}`, ...values);
    const cursor = filter.cursor;
    if (cursor) {
      values.push(new Date(cursor.failedAt), cursor.id);
      where.push(`(failed_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(filter.limit + 1);
    const rows = await this.db.$queryRawUnsafe<DeadLetterRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY failed_at DESC, id DESC LIMIT $${values.length}`,
      ...values,
    );
    const page = rows.slice(0, filter.limit);
    const replays = await this.replaysOf(this.db, page.map((r) => r.id));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toDeadLetterSummary(r, replays)),
      total: counted[0]?.n ?? 0,
      nextCursor: rows.length > filter.limit && last ? encodeDeadLetterCursor({ failedAt: new Date(last.failed_at).toISOString(), id: last.id }) : null,
    };
  }

  async summary(id: string, db: SqlExecutor = this.db): Promise<DeadLetterSummary | undefined> {
    const rows = await db.$queryRawUnsafe<DeadLetterRow[]>(`SELECT ${SUMMARY_COLUMNS} FROM ${this.table} WHERE id = $1::uuid`, id);
    const row = rows[0];
    return row ? toDeadLetterSummary(row, await this.replaysOf(db, [row.id])) : undefined;
  }

  /** The summary and the original message (key, headers, value), or undefined for an unknown id. */
  async detail(id: string): Promise<DeadLetterDetail | undefined> {
    const rows = await this.db.$queryRawUnsafe<OriginalRow[]>(`SELECT ${SUMMARY_COLUMNS}, key, headers, value FROM ${this.table} WHERE id = $1::uuid`, id);
    const row = rows[0];
    if (!row) return undefined;
    return { ...toDeadLetterSummary(row, await this.replaysOf(this.db, [row.id])), original: toOriginalView(row.key, headersOf(row.headers), bytesOf(row.value)) };
  }

  /**
   * Replays the dead letter `id` through `run` and records it; undefined for an unknown id. The row
   * stays locked (SELECT ... FOR UPDATE) until the outcome is recorded: a second replay of it waits,
   * then finds it consumed and does not run.
   */
  async replay(id: string, request: ReplayRequest, run: (message: ReplayableMessage) => Promise<ReplayResult>): Promise<DeadLetterReplayAnswer | undefined> {
    return this.transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<OriginalRow[]>(`SELECT ${SUMMARY_COLUMNS}, key, headers, value FROM ${this.table} WHERE id = $1::uuid FOR UPDATE`, id);
      const row = rows[0];
      if (!row) return undefined;
      if (row.state === 'replayed') {
        return { deadLetter: toDeadLetterSummary(row, await this.replaysOf(tx, [row.id])), outcome: 'consumed' as const, alreadyReplayed: true };
      }
      const result = await run({
        consumerGroup: row.consumer_group,
        topic: row.topic,
        partition: Number(row.partition),
        offset: row.offset,
        key: row.key,
        headers: headersOf(row.headers),
        value: bytesOf(row.value),
      });
      messagingMetrics.deadLetterReplays.inc({ topic: row.topic, outcome: result.outcome });
      const error = result.outcome === 'failed-again' ? result.error : null;
      await tx.$executeRawUnsafe(
        `INSERT INTO ${this.replays} (id, dead_letter_id, at, "by", justification, outcome, error) VALUES ($1::uuid, $2::uuid, now(), $3, $4, $5, $6)`,
        randomUUID(),
        row.id,
        request.by,
        request.justification,
        result.outcome,
        error,
      );
      await tx.$executeRawUnsafe(`UPDATE ${this.table} SET state = $2 WHERE id = $1::uuid`, row.id, result.outcome === 'consumed' ? 'replayed' : 'replay-failed');
      const deadLetter = (await this.summary(row.id, tx)) as DeadLetterSummary;
      return { deadLetter, outcome: result.outcome, alreadyReplayed: false, ...(error !== null ? { error } : {}) };
    });
  }

  /** Dead letters not yet consumed (open, or whose replay failed), by topic and reason. */
  async openCounts(): Promise<OpenDeadLetterCount[]> {
    const rows = await this.db.$queryRawUnsafe<{ topic: string; reason: string; n: number }[]>(
      `SELECT topic, reason, count(*)::int AS n FROM ${this.table} WHERE state <> 'replayed' GROUP BY topic, reason`,
    );
    return rows.map((r) => ({ topic: r.topic, reason: r.reason, count: Number(r.n) }));
  }

  private async replaysOf(db: SqlExecutor, ids: string[]): Promise<DeadLetterReplayRow[]> {
    if (ids.length === 0) return [];
    return db.$queryRawUnsafe<DeadLetterReplayRow[]>(
      `SELECT dead_letter_id::text AS dead_letter_id, at, "by", justification, outcome, error FROM ${this.replays}
        WHERE dead_letter_id = ANY($1::uuid[]) ORDER BY at, id`,
      ids,
    );
  }
}
