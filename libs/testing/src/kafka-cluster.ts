import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KafkaPrincipal } from '@slidecharge/contracts';
import { KafkaConnection, kafkaConnectionFromEnv } from '@slidecharge/kafka-client';
import { WORKSPACE_ROOT } from './infra';

const execFileAsync = promisify(execFile);
const KAFKA_SCRIPT = join(WORKSPACE_ROOT, 'scripts/kafka.sh');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first port of `count` consecutive free ports on 127.0.0.1 (picked at random, so parallel runs rarely meet). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portIsFree(first + i)));
    if (free.every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}

/** The KAFKA_* lines `scripts/kafka.sh env` prints, as variables. */
function parseKafkaEnv(printed: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const match = /^(KAFKA_[A-Z_]+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

/**
 * A Kafka cluster of its own for a test: `scripts/kafka.sh start --cluster N` on free ports, with a data
 * dir under the system's temporary directory, secured like every broker of the project (SASL_SSL,
 * ACLs, topics of the table with 3 replicas). Its nodes can be killed and started again; `remove()`
 * stops every node and deletes the data dir.
 */
export class LocalKafkaCluster {
  private constructor(
    readonly nodes: number,
    /** The client port of node 1; node N listens on firstPort + 2(N-1), its controller one above. */
    readonly firstPort: number,
    readonly dataDir: string,
    /** Each node's JVM heap (KAFKA_HEAP). */
    private readonly heap: string,
  ) {}

  /** How long the last `start` took, in ms (certificates, format, JVM starts, topics and ACLs). */
  startMs = 0;

  static async start(options: { nodes?: number; heap?: string } = {}): Promise<LocalKafkaCluster> {
    const nodes = options.nodes ?? 3;
    const dataDir = mkdtempSync(join(tmpdir(), 'slidecharge-kafka-cluster-'));
    const cluster = new LocalKafkaCluster(nodes, await freePorts(2 * nodes), dataDir, options.heap ?? '384m');
    const began = Date.now();
    try {
      await cluster.script('start', '--cluster', String(nodes));
    } catch (e) {
      await cluster.remove();
      throw e;
    }
    cluster.startMs = Date.now() - began;
    return cluster;
  }

  /** host:port of a node's client listener. */
  broker(node: number): string {
    return `127.0.0.1:${this.firstPort + 2 * (node - 1)}`;
  }

  /** The node a broker address belongs to. */
  nodeOf(broker: string): number {
    return (Number(broker.split(':')[1]) - this.firstPort) / 2 + 1;
  }

  /** A principal's KAFKA_* settings for this cluster (all brokers; the password as a file path). */
  async kafkaEnv(principal: KafkaPrincipal): Promise<Record<string, string>> {
    return parseKafkaEnv(await this.script('env', principal));
  }

  async connection(principal: KafkaPrincipal): Promise<KafkaConnection> {
    return kafkaConnectionFromEnv(await this.kafkaEnv(principal));
  }

  /** SIGKILL of one node: a crash, without controlled shutdown. Returns once the process is gone. */
  async kill(node: number): Promise<void> {
    await this.script('kill', String(node));
  }

  /** Starts a node again and waits until it serves clients. */
  async startNode(node: number): Promise<void> {
    await this.script('start-node', String(node));
  }

  /** The node id of the active controller (the KRaft quorum's leader), as the cluster reports it. */
  async activeController(): Promise<number> {
    const printed = await this.script('quorum');
    const match = /^controller (\d+)/m.exec(printed);
    if (!match?.[1]) throw new Error(`scripts/kafka.sh quorum did not name a controller: ${printed}`);
    return Number(match[1]);
  }

  /** Stops every node and deletes the data dir. */
  async remove(): Promise<void> {
    try {
      await this.script('reset');
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  private async script(...args: string[]): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_PORT: String(this.firstPort), KAFKA_DATA_DIR: this.dataDir, KAFKA_HEAP: this.heap };
    delete env['KAFKA_CONTROLLER_PORT'];
    delete env['KAFKA_BROKERS_COUNT'];
    try {
      const { stdout } = await execFileAsync('bash', [KAFKA_SCRIPT, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      const failed = e as { stderr?: string; message: string };
      throw new Error(`scripts/kafka.sh ${args.join(' ')} failed: ${failed.stderr?.trim() || failed.message}`);
    }
  }
}
