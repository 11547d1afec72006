// What a run costs the database, per event: WAL records (each a heap tuple or index entry written, a
// row lock, a commit...), WAL bytes, full-page images, commits, and blocks read into shared buffers
// (from the OS: what did not fit in them) and found there, as deltas of PostgreSQL's own counters
// between two samples. Unlike events per second, these do not move with the machine's load: the same
// code and data write the same records (issue #10: throughput here follows the records written per
// event). pg_stat_wal is the whole server's (nothing else should write during a run); commits and
// blocks are the database's (pg_stat_database). When pg_stat_statements is installed in the database
// (it needs shared_preload_libraries), the WAL records are also split by the role that wrote them,
// i.e. by service (each has its own role).
import pg from 'pg';

/** One sample of the counters; byRole: WAL records by role, undefined without pg_stat_statements. */
export async function sampleDatabase(databaseUrl) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const [wal] = (await db.query(`SELECT wal_records::float8 AS records, wal_bytes::float8 AS bytes, wal_fpi::float8 AS fpi FROM pg_stat_wal`)).rows;
    const [database] = (
      await db.query(`SELECT xact_commit::float8 AS commits, blks_read::float8 AS "blocksRead", blks_hit::float8 AS "blocksHit" FROM pg_stat_database WHERE datname = current_database()`)
    ).rows;
    return { ...wal, ...database, byRole: await walRecordsByRole(db) };
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function walRecordsByRole(db) {
  const installed = (await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`)).rowCount === 1;
  if (!installed) return undefined;
  try {
    const { rows } = await db.query(
      `SELECT r.rolname AS role, sum(s.wal_records)::float8 AS records
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        GROUP BY r.rolname`,
    );
    return Object.fromEntries(rows.map((r) => [r.role, r.records]));
  } catch {
    return undefined; // installed but not preloaded: the view cannot be read
  }
}

/** Per-event figures between two samples (WAL records, bytes, full-page images, commits, blocks; WAL records by role when both samples have them). */
export function databaseUsagePerEvent(before, after, events) {
  const per = (a, b, digits = 1) => +((b - a) / events).toFixed(digits);
  const figures = {
    walRecords: per(before.records, after.records),
    walBytes: per(before.bytes, after.bytes, 0),
    fullPageImages: per(before.fpi, after.fpi, 2),
    commits: per(before.commits, after.commits, 2),
    blocksRead: per(before.blocksRead, after.blocksRead, 2),
    blocksHit: per(before.blocksHit, after.blocksHit),
  };
  if (!before.byRole || !after.byRole) return figures;
  const byRole = Object.entries(after.byRole)
    .map(([role, records]) => [role, per(before.byRole[role] ?? 0, records)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return { ...figures, walRecordsByRole: Object.fromEntries(byRole) };
}

/**
 * Backends report their counts to the shared statistics when idle, at the latest 10 s after their
 * last report (PGSTAT_IDLE_INTERVAL): a sample taken right after work misses up to that much of it.
 */
const STATISTICS_FLUSH_MS = 11_000;

/**
 * sampleDatabase, or undefined (said on stderr) when the counters cannot be read: the run goes on
 * without these figures. `settle`: first wait until every backend has reported what it did so far.
 */
export async function trySampleDatabase(databaseUrl, { settle = false } = {}) {
  if (settle) await new Promise((resolve) => setTimeout(resolve, STATISTICS_FLUSH_MS));
  try {
    return await sampleDatabase(databaseUrl);
  } catch (e) {
    console.error(`bench: cannot read the database's counters (${e.message})`);
    return undefined;
  }
}

/** databaseUsagePerEvent when both samples exist. */
export const databaseUsageBetween = (before, after, events) => (before && after ? databaseUsagePerEvent(before, after, events) : undefined);
