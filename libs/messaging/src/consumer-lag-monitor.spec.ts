import { KafkaJSGroupCoordinatorNotFound, KafkaJSProtocolError } from 'kafkajs';
import { GroupLag } from './consumer-lag';
import { ConsumerLagMonitor, isAuthorizationFailure, LagReader } from './consumer-lag-monitor';
import { createLogger } from './logger';
import { metricsRegistry } from './metrics';

/** A reading as KafkaBus.consumerLag gives it for one group. */
const groupLagOf = (group: string, byTopic: Record<string, number>): GroupLag => ({ group, lag: Object.values(byTopic).reduce((a, b) => a + b, 0), byTopic });

const refused = () => new KafkaJSProtocolError(Object.assign(new Error('Not authorized to access group'), { type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false }));

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('lag-test', 'info', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

async function lagSeries(): Promise<Record<string, number>> {
  const metric = await metricsRegistry.getSingleMetric('slidecharge_consumer_lag')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${String(v.labels['group'])} ${String(v.labels['topic'])}`, v.value]));
}

describe('ConsumerLagMonitor', () => {
  it('sets slidecharge_consumer_lag per group and topic from each reading, and removes its series when stopped', async () => {
    const lags: Record<string, number> = { 'scan.events.v1': 5, 'qc.results.v1': 0 };
    const read: LagReader = async (group, topics) => groupLagOf(group, Object.fromEntries(topics.map((topic) => [topic, lags[topic] ?? 0])));
    const monitor = new ConsumerLagMonitor({ read, logger: capture().logger, intervalMs: 60_000 });
    monitor.watch('billing-lag-a', ['scan.events.v1', 'qc.results.v1']);
    await monitor.readAll();
    expect(await lagSeries()).toMatchObject({ 'billing-lag-a scan.events.v1': 5, 'billing-lag-a qc.results.v1': 0 });
    lags['scan.events.v1'] = 2;
    await monitor.readAll();
    expect(await lagSeries()).toMatchObject({ 'billing-lag-a scan.events.v1': 2 });
    await monitor.stop();
    expect(Object.keys(await lagSeries()).filter((k) => k.startsWith('billing-lag-a'))).toEqual([]);
  });

  it('an authorization failure is logged once, names the missing ACL, and the monitor keeps reading', async () => {
    let allowed = false;
    const read: LagReader = async (group, topics) => {
      if (!allowed) throw refused();
      return groupLagOf(group, Object.fromEntries(topics.map((topic) => [topic, 7])));
    };
    const { lines, logger } = capture();
    const monitor = new ConsumerLagMonitor({ read, logger, intervalMs: 60_000 });
    monitor.watch('qc-lag-b', ['scan.events.v1']);
    await monitor.readAll();
    await monitor.readAll();
    await monitor.readAll();
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ groupId: 'qc-lag-b', msg: expect.stringContaining('lacks DESCRIBE') });
    allowed = true;
    await monitor.readAll();
    expect(await lagSeries()).toMatchObject({ 'qc-lag-b scan.events.v1': 7 });
    expect(lines.filter((l) => l['msg'] === 'consumer lag readable again')).toHaveLength(1);
    await monitor.stop();
  });

  it('tells authorization failures from other errors', () => {
    expect(isAuthorizationFailure(refused())).toBe(true);
    // FindCoordinator refused for want of DESCRIBE on the group: kafkajs gives up with this.
    // (kafkajs' types declare no constructor argument; at run time it needs the message.)
    const notFound = new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)('Failed to find group coordinator');
    expect(isAuthorizationFailure(notFound)).toBe(true);
    expect(isAuthorizationFailure(Object.assign(new Error('wrapped'), { cause: refused() }))).toBe(true);
    expect(isAuthorizationFailure(new Error('connection refused'))).toBe(false);
  });
});
