// One worker of the baseline pipeline (scripts/bench/baseline.mjs), a child process: consumes its topic
// with eachBatch, writes one row per event (unique event id, ON CONFLICT DO NOTHING) in one transaction
// per batch, then publishes one record per event to the next topic and commits the batch's offset.
// kafkajs and pg, no framework. Started with its settings as JSON in argv[2] and the Kafka principal's
// KAFKA_* settings in its environment; says { type: 'ready' } once it has joined its group and stops
// on { type: 'stop' }.
import pg from 'pg';
import { kafkaFromEnv } from './kafka.mjs';

const worker = JSON.parse(process.argv[2]); // { name, from, to, table, groupId, databaseUrl, partitions }

const db = new pg.Pool({ connectionString: worker.databaseUrl, max: worker.partitions });
const kafka = kafkaFromEnv(process.env, `bench-baseline-${worker.name}`);
const producer = kafka.producer({ allowAutoTopicCreation: false });
const consumer = kafka.consumer({ groupId: worker.groupId });

/** One transaction per batch: a row per event, keyed by its event id, set-based (one INSERT). */
async function insertEvents(events) {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO ${worker.table} (event_id, payload) SELECT * FROM unnest($1::uuid[], $2::jsonb[]) ON CONFLICT (event_id) DO NOTHING`,
      [events.map((e) => e.eventId), events.map((e) => e.value)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function handleBatch({ batch, resolveOffset, heartbeat }) {
  if (batch.messages.length === 0) return;
  const events = batch.messages.map((m) => ({ eventId: m.key.toString(), value: m.value.toString() }));
  await insertEvents(events);
  await producer.send({ topic: worker.to, acks: -1, messages: events.map((e) => ({ key: e.eventId, value: e.value })) });
  resolveOffset(batch.lastOffset());
  await heartbeat();
}

async function stop() {
  await consumer.disconnect();
  await producer.disconnect();
  await db.end();
  process.exit(0);
}

async function start() {
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: worker.from, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => process.send({ type: 'ready' }));
  consumer.on(consumer.events.CRASH, ({ payload }) => payload.restart || fail(payload.error));
  await consumer.run({ partitionsConsumedConcurrently: worker.partitions, eachBatchAutoResolve: false, eachBatch: handleBatch });
}

function fail(error) {
  process.send({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
}

process.on('message', (m) => m.type === 'stop' && stop().catch(fail));
start().catch(fail);
