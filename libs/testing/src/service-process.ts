import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './infra';
import { principalKafkaEnv } from './kafka';
import { serviceDatabaseUrl } from './service-database';

export type ServiceName = 'accession' | 'scanner-events' | 'qc' | 'billing' | 'ops-console';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function builtEntryPoint(service: ServiceName): string {
  return join(WORKSPACE_ROOT, 'dist/services', service, 'services', service, 'src/main.js');
}

/** Newest modification time of the TypeScript sources (not specs) under a directory. */
function newestSource(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds a service into dist/ (as its build target does) when the build is missing or older than its sources or its libraries'. */
export function ensureServiceBuilt(service: ServiceName, libs: readonly string[]): void {
  const entry = builtEntryPoint(service);
  const sources = [join(WORKSPACE_ROOT, 'services', service, 'src'), ...libs.map((l) => join(WORKSPACE_ROOT, 'libs', l, 'src'))];
  if (existsSync(entry) && statSync(entry).mtimeMs > Math.max(...sources.map(newestSource))) return;
  const tsconfig = `services/${service}/tsconfig.app.json`;
  execFileSync('npx', ['tsc', '-p', tsconfig], { cwd: WORKSPACE_ROOT, stdio: 'inherit', timeout: 300_000 });
  execFileSync('npx', ['tsc-alias', '-p', tsconfig], { cwd: WORKSPACE_ROOT, stdio: 'inherit', timeout: 120_000 });
}

/**
 * One service running as its own OS process from its build output, as in production: with its own
 * Kafka principal (scripts/kafka.sh env <service>), so the broker's ACLs are what it runs under, and
 * as its own Postgres role (serviceDatabaseUrl) unless `env` names another DATABASE_URL. Its JSON log
 * goes to tmp/<logDir>/<service>.log.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  readonly url: string;

  constructor(
    readonly service: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir = 'e2e-logs',
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(readyTimeoutMs = 60_000): Promise<this> {
    const dir = join(WORKSPACE_ROOT, 'tmp', this.logDir);
    mkdirSync(dir, { recursive: true });
    const log = createWriteStream(join(dir, `${this.service}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [builtEntryPoint(this.service)], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, DATABASE_URL: serviceDatabaseUrl(this.service), ...this.env, ...principalKafkaEnv(this.service), PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await this.waitReady(readyTimeoutMs);
    return this;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`${this.service} exited with ${this.child.exitCode} before it was ready (see tmp/${this.logDir}/${this.service}.log)`);
      }
      try {
        const res = await fetch(`${this.url}/health/ready`);
        if (res.ok) return;
        last = await res.text();
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.service} not ready after ${timeoutMs} ms: ${last}`);
  }

  /** Sends a signal and waits for the process to end; returns its exit code (null when killed). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${this.service} did not stop within ${timeoutMs} ms`)), timeoutMs).unref());
    return Promise.race([this.exited as Promise<number | null>, timer]);
  }
}
