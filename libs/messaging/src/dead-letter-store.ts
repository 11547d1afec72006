import { createHash } from 'node:crypto';
import { DeadLetterStoredOriginal } from '@slidecharge/contracts';
import { capText } from './dead-letter-record';
import { quoteSchema, SqlExecutor } from './sql';

/** A dead-lettered message as kept in the consuming service's database: the value whole, byte for byte. */
export interface StoredDeadLetter {
  id: string;
  failedAt: Date;
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  message: string;
  headers: Readonly<Record<string, string>>;
  value: Buffer | null;
}

/**
 * Where a service keeps every message it dead-letters, whole, whatever its size (the Kafka record
 * may only carry a preview). save is idempotent by id, so it can be retried.
 */
export interface DeadLetterStore {
  save(entry: StoredDeadLetter): Promise<DeadLetterStoredOriginal>;
  /** Deletes what failed more than `days` days ago; returns how many rows went. */
  purgeOlderThan(days: number): Promise<number>;
}

/** Longest error text kept in the table (the record on Kafka keeps less). */
const MESSAGE_MAX_CHARS = 10_000;

/**
 * Postgres text and jsonb cannot hold NUL, and jsonb no unpaired surrogate: such characters in a
 * sender's key or headers are replaced by U+FFFD, so that storing can never fail on them.
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export const sha256Hex = (value: Buffer | null): string => createHash('sha256').update(value ?? Buffer.alloc(0)).digest('hex');

/**
 * The `dead_letter` table of a service's schema (model DeadLetterMessage in prisma/<service>/schema.prisma).
 */
export class SqlDeadLetterStore implements DeadLetterStore {
  private readonly table: string;

  constructor(
    private readonly db: SqlExecutor,
    private readonly schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.dead_letter`;
  }

  async save(entry: StoredDeadLetter): Promise<DeadLetterStoredOriginal> {
    const sizeBytes = entry.value?.length ?? 0;
    const sha256 = sha256Hex(entry.value);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.headers)) headers[storableText(name)] = storableText(value);
    await this.db.$executeRawUnsafe(
      `INSERT INTO ${this.table} (id, failed_at, consumer_group, topic, partition, "offset", key, reason, message, headers, value, size_bytes, sha256)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
      entry.id,
      entry.failedAt,
      entry.consumerGroup,
      entry.topic,
      entry.partition,
      entry.offset,
      entry.key === null ? null : storableText(entry.key),
      entry.reason,
      storableText(capText(entry.message, MESSAGE_MAX_CHARS).text),
      JSON.stringify(headers),
      entry.value,
      sizeBytes,
      sha256,
    );
    return { schema: this.schema, table: 'dead_letter', id: entry.id, sizeBytes, sha256 };
  }

  async purgeOlderThan(days: number): Promise<number> {
    return this.db.$executeRawUnsafe(`DELETE FROM ${this.table} WHERE failed_at < now() - make_interval(days => $1::int)`, days);
  }
}
