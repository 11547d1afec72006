// The faults a campaign injects into the running stack (scripts/stack.sh), and how long the product
// takes to work again after each: SIGKILL of a service and its restart (as a supervisor would), a
// SIGKILL of the Kafka broker and its restart (scripts/kafka.sh), an immediate-mode stop of the
// PostgreSQL cluster (crash recovery on start) and its start, and network faults (reset, blackhole,
// latency) through the fault proxies between the services and Kafka or Postgres. Recovery = from the
// fault until every service is ready and a probe case scanned after the fault has its charge in
// billing's API; a fault the stack has not recovered from in 5 minutes ends the campaign as failed.
import { execFile } from 'node:child_process';
import { bearer } from '../lib/identity.mjs';
import { SERVICES } from './plan.mjs';
import { call, postScans, putCase, retrying, scanEvent } from './traffic.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const PORTS = { accession: 3001, 'scanner-events': 3002, qc: 3003, billing: 3004, 'ops-console': 3005 };

function run(ctx, command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ctx.root, env: process.env, encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message} ${stderr.slice(-500)}`)) : resolve(stdout));
  });
}

async function ready(service) {
  try {
    return (await fetch(`http://127.0.0.1:${PORTS[service]}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

export const allReady = async () => (await Promise.all(SERVICES.map(ready))).every(Boolean);

/** The PostgreSQL cluster that serves DATABASE_URL's port (pg_lsclusters), e.g. ['15', 'main']. */
export async function postgresCluster(ctx) {
  const port = new URL(ctx.databaseUrl).port || '5432';
  const line = (await run(ctx, 'pg_lsclusters', ['-h'])).split('\n').find((l) => l.split(/\s+/)[2] === port);
  if (!line) throw new Error(`no local PostgreSQL cluster on port ${port} (pg_lsclusters): the campaign restarts the server it tests against`);
  return line.split(/\s+/).slice(0, 2);
}

const pgctl = (ctx, action, ...extra) => run(ctx, 'pg_ctlcluster', ['--skip-systemctl-redirect', ...ctx.pgCluster, action, ...extra]);

/** Asks the fault proxies in front of a target (scripts/fault-proxy.ts, their control URLs, comma-separated: one per Kafka node) to apply a fault. */
async function proxyFault(ctx, target, fault) {
  const controls = ctx.proxies[target]?.split(',').filter(Boolean) ?? [];
  if (!controls.length) throw new Error(`no fault proxy in front of ${target} (CHAOS_${target.toUpperCase()}_PROXY_CONTROL): run the campaign with scripts/chaos-ci.sh`);
  await Promise.all(controls.map(async (control) => {
    const res = await fetch(`${control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
    if (!res.ok) throw new Error(`fault proxy ${target} (${control}): ${res.status} ${await res.text()}`);
  }));
}

/** The cluster as scripts/kafka.sh reports it: the active controller and each partition's leader and in-sync replicas. */
async function clusterState(ctx) {
  const controller = Number(/^controller (\d+)/m.exec(await run(ctx, 'bash', ['scripts/kafka.sh', 'quorum']))?.[1]);
  const partitions = (await run(ctx, 'bash', ['scripts/kafka.sh', 'topics'])).trim().split('\n').map((line) => {
    // "<topic> <partition> leader <id|none> replicas <ids> isr <ids>" (tools/kafka/ClusterStatus.java)
    const [topic, partition, , leader, , replicas = '', , isr = ''] = line.split(' ');
    const count = (ids) => ids.split(',').filter(Boolean).length;
    return { topic, partition: Number(partition), leader: Number(leader), replicas: count(replicas), isr: count(isr) };
  });
  return { controller, partitions };
}

/** The node a cluster broker fault kills, in the given cluster state: the leader of billing.charges.v1's partition 0, the active controller, or a node that is neither. */
function brokerOfRole(ctx, role, { controller, partitions }) {
  const leader = partitions.find((p) => p.topic === 'billing.charges.v1' && p.partition === 0)?.leader;
  const nodes = Array.from({ length: ctx.kafkaNodes }, (_, i) => i + 1);
  const node = role === 'controller' ? controller : role === 'leader' ? leader : nodes.find((n) => n !== controller && n !== leader) ?? nodes.find((n) => n !== controller);
  if (!nodes.includes(node)) throw new Error(`no ${role} node in the cluster state (controller ${controller}, leader ${leader})`);
  const roles = [node === controller && 'active controller', node === leader && 'leader of billing.charges.v1/0'].filter(Boolean);
  return { node, roles: roles.length ? roles : ['follower'] };
}

/** Waits until every partition has all its replicas in sync again (an operator would before the next node goes down); answers that state. */
async function waitInSync(ctx) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const state = await clusterState(ctx).catch(() => ({ partitions: [] }));
    if (state.partitions.length && state.partitions.every((p) => p.isr === p.replicas)) return state;
    if (Date.now() > deadline) throw new Error('the Kafka cluster had partitions out of sync for 5 minutes (scripts/kafka.sh topics): no node is killed on top of that');
    await sleep(1000);
  }
}

/** SIGKILL of one broker (a cluster node of the fault's role, or the single broker) and its start after fault.downMs. */
async function brokerFault(ctx, fault) {
  if (ctx.kafkaNodes === 1) {
    await run(ctx, 'bash', ['scripts/kafka.sh', 'kill']);
    await sleep(fault.downMs);
    await run(ctx, 'bash', ['scripts/kafka.sh', 'start']);
    return;
  }
  const { node, roles } = brokerOfRole(ctx, fault.role, await waitInSync(ctx));
  fault.killed = `node ${node} (${roles.join(', ')})`;
  ctx.log(`  SIGKILL of Kafka ${fault.killed}`);
  // Recovery counts from the kill, not from the look at the cluster before it.
  fault.at = Date.now();
  await run(ctx, 'bash', ['scripts/kafka.sh', 'kill', String(node)]);
  await sleep(fault.downMs);
  await run(ctx, 'bash', ['scripts/kafka.sh', 'start-node', String(node)]);
}

/** A network fault: connections reset at once, or a blackhole or added latency held for fault.downMs. */
async function networkFault(ctx, fault) {
  if (fault.action === 'reset') return proxyFault(ctx, fault.target, { kind: 'reset' });
  await proxyFault(ctx, fault.target, fault.action === 'latency' ? { kind: 'latency', ms: 300, jitterMs: 100 } : { kind: 'blackhole' });
  await sleep(fault.downMs);
  await proxyFault(ctx, fault.target, { kind: 'clear' });
}

export const faultLabel = (f) =>
  f.kind === 'kill' ? `SIGKILL ${f.service}` : f.kind === 'network' ? `${f.target} ${f.action}` : f.kind === 'broker-restart' && f.role ? `broker-restart (${f.killed ?? f.role})` : f.kind;

/** Injects one fault and repairs it after fault.downMs; resolves when the repair has been started. */
async function inject(ctx, fault) {
  if (fault.kind === 'kill') {
    await run(ctx, 'bash', ['scripts/stack.sh', 'kill', fault.service]);
    await sleep(fault.downMs);
    // stack.sh start waits up to 60 s for readiness; the campaign measures recovery itself.
    run(ctx, 'bash', ['scripts/stack.sh', 'start', fault.service]).catch((e) => ctx.log(`restart of ${fault.service} not ready yet: ${e.message.split('\n')[0]}`));
  } else if (fault.kind === 'broker-restart') {
    await brokerFault(ctx, fault);
  } else if (fault.kind === 'network') {
    await networkFault(ctx, fault);
  } else if (fault.kind === 'postgres-restart') {
    await pgctl(ctx, 'stop', '-m', 'immediate');
    await sleep(fault.downMs);
    await pgctl(ctx, 'start');
  }
}

/** A one-slide case and its scan, sent after a fault: its charge in billing's API says the pipeline works again. */
async function probeCharged(ctx, n) {
  const accession = `${ctx.plan.run}-P${n}`;
  ctx.plan.expected.set(`${accession}/A/0753T`, { accession, credited: false, probe: true });
  await putCase(ctx, accession, ['A'], 1);
  await postScans(ctx, [scanEvent(`${accession}-A1-1`)]);
  await retrying(ctx.stats, 'probe charge', async () => {
    const page = await call('GET', `${ctx.urls.billing}/charges?accession=${accession}`, undefined, await bearer('ops-viewer'));
    if (!page.items.some((c) => c.status === 'posted')) throw new Error(`no charge of probe ${accession} yet`);
  });
}

/** Injects the faults one after another, `intervalMs` apart once the last one is recovered; records each recovery. */
export async function runFaults(ctx, schedule, intervalMs, isTrafficDone) {
  const results = [];
  for (const [i, fault] of schedule.entries()) {
    await sleep(intervalMs);
    if (ctx.stopFaults) break;
    const label = faultLabel(fault);
    ctx.log(`fault ${i + 1}/${schedule.length}: ${label} (down ${fault.downMs} ms)${isTrafficDone() ? ', traffic done' : ''}`);
    let started = Date.now();
    await inject(ctx, fault);
    started = fault.at ?? started;
    while (!(await allReady())) {
      if (Date.now() - started > 300_000) throw new Error(`${label}: the services were not all ready 5 minutes after the fault (tmp/stack/*.log)`);
      await sleep(250);
    }
    const readyMs = Date.now() - started;
    await probeCharged(ctx, i + 1);
    results.push({ fault: faultLabel(fault), downMs: fault.downMs, readyAfterMs: readyMs, chargingAfterMs: Date.now() - started, duringTraffic: !isTrafficDone() });
    ctx.log(`  recovered: services ready after ${readyMs} ms, a new scan charged ${Date.now() - started} ms after the fault`);
  }
  return results;
}
