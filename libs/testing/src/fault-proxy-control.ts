/*
 * The control surface of a FaultProxy run as a process of its own (scripts/fault-proxy.ts), so a fault
 * campaign can drive it: HTTP/JSON on loopback only, no authentication (a test tool: whoever can
 * reach 127.0.0.1 of the machine can already reach what the proxy forwards to).
 *
 *   GET  /state     the proxy's state: faults, counters (FaultProxyState)
 *   POST /faults    {"kind":"latency","ms":200,"jitterMs":50} | {"kind":"reset"} | {"kind":"blackhole"}
 *                   | {"kind":"refuse"} | {"kind":"restore"} | {"kind":"clear"}: applies it, answers the
 *                   state after it (400 with the problems when the body is not one of these)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { FaultProxy, type FaultProxyEndpoint } from './fault-proxy';

/** Longest latency or jitter the control accepts (10 minutes). */
const MAX_DELAY_MS = 600_000;
const delayMs = z.number().int().min(0).max(MAX_DELAY_MS);

export const FAULT_KINDS = ['latency', 'reset', 'blackhole', 'refuse', 'restore', 'clear'] as const;

export const faultRequestSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('latency'), ms: delayMs, jitterMs: delayMs.default(0) }).strict(),
    z.object({ kind: z.literal('reset') }).strict(),
    z.object({ kind: z.literal('blackhole') }).strict(),
    z.object({ kind: z.literal('refuse') }).strict(),
    z.object({ kind: z.literal('restore') }).strict(),
    z.object({ kind: z.literal('clear') }).strict(),
  ],
  { error: `must be one of ${FAULT_KINDS.join(', ')}` },
);
export type FaultRequest = z.output<typeof faultRequestSchema>;

export type ParsedFaultRequest = { ok: true; fault: FaultRequest } | { ok: false; problems: string[] };

/** Reads a POST /faults body; every problem names its field. */
export function parseFaultRequest(body: string): ParsedFaultRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problems: ['the body is not JSON'] };
  }
  const parsed = faultRequestSchema.safeParse(json);
  if (parsed.success) return { ok: true, fault: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) };
}

export async function applyFault(proxy: FaultProxy, fault: FaultRequest): Promise<void> {
  switch (fault.kind) {
    case 'latency':
      return proxy.latency(fault.ms, fault.jitterMs);
    case 'reset':
      proxy.reset();
      return;
    case 'blackhole':
      return proxy.blackhole();
    case 'refuse':
      return proxy.refuse();
    case 'restore':
      return proxy.restore();
    case 'clear':
      return proxy.clear();
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** "host:port" (an IPv6 host in brackets: "[::1]:9094"). */
export function parseEndpoint(text: string): FaultProxyEndpoint | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!host || !Number.isInteger(port) || port > 65535) return undefined;
  return { host, port };
}

export interface FaultProxyCliOptions {
  name: string;
  listen: FaultProxyEndpoint;
  upstream: FaultProxyEndpoint;
  control: FaultProxyEndpoint;
}

export const FAULT_PROXY_USAGE =
  'usage: fault-proxy --name NAME --listen HOST:PORT --upstream HOST:PORT [--control HOST:PORT]\n' +
  '  --listen and --control must be loopback addresses; port 0 = any free port (see the ready line)';

/** The command line of scripts/fault-proxy.ts; problems name the flag. */
export function parseFaultProxyArgs(argv: readonly string[]): { ok: true; options: FaultProxyCliOptions } | { ok: false; problems: string[] } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (!['--name', '--listen', '--upstream', '--control'].includes(flag)) problems.push(`unknown argument ${flag}`);
    else if (value === undefined) problems.push(`${flag} needs a value`);
    else values.set(flag, value);
  }
  const endpoint = (flag: string, fallback?: string): FaultProxyEndpoint | undefined => {
    const text = values.get(flag) ?? fallback;
    if (text === undefined) {
      problems.push(`${flag} is required`);
      return undefined;
    }
    const parsed = parseEndpoint(text);
    if (!parsed) problems.push(`${flag} must be host:port, got ${text}`);
    return parsed;
  };
  const name = values.get('--name');
  if (!name) problems.push('--name is required');
  const listen = endpoint('--listen');
  const upstream = endpoint('--upstream');
  const control = endpoint('--control', '127.0.0.1:0');
  for (const [flag, at] of [['--listen', listen], ['--control', control]] as const) {
    if (at && !isLoopback(at.host)) problems.push(`${flag} must be a loopback address (a test tool), got ${at.host}`);
  }
  if (problems.length > 0 || !name || !listen || !upstream || !control) return { ok: false, problems };
  return { ok: true, options: { name, listen, upstream, control } };
}

const MAX_BODY_BYTES = 4096;

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', reject);
  });
}

async function handle(proxy: FaultProxy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${req.url}`;
  if (route === 'GET /state') return answer(res, 200, proxy.state());
  if (route !== 'POST /faults') return answer(res, 404, { error: 'not_found', routes: ['GET /state', 'POST /faults'] });
  const body = await readBody(req);
  if (body === undefined) return answer(res, 413, { error: 'body_too_large', limitBytes: MAX_BODY_BYTES });
  const parsed = parseFaultRequest(body);
  if (!parsed.ok) return answer(res, 400, { error: 'invalid_fault', problems: parsed.problems });
  await applyFault(proxy, parsed.fault);
  answer(res, 200, proxy.state());
}

export interface FaultProxyControl {
  /** http://host:port of the control. */
  url: string;
  close(): Promise<void>;
}

/** Serves GET /state and POST /faults for `proxy` on a loopback address. */
export async function startFaultProxyControl(proxy: FaultProxy, at: FaultProxyEndpoint): Promise<FaultProxyControl> {
  if (!isLoopback(at.host)) throw new Error(`the fault proxy's control listens on loopback only, not ${at.host}`);
  const server: Server = createServer((req, res) => {
    handle(proxy, req, res).catch((e: unknown) => answer(res, 500, { error: 'failed', message: (e as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host, port: at.port }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = at.host.includes(':') ? `[${at.host}]` : at.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs a proxy and its control until SIGTERM or SIGINT (scripts/fault-proxy.ts). Prints one JSON line
 * when ready, {"name","address","upstream","control"}, for the campaign to read the ports from.
 */
export async function runFaultProxy(argv: readonly string[]): Promise<void> {
  const parsed = parseFaultProxyArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.problems.map((p) => `fault-proxy: ${p}`).join('\n')}\n${FAULT_PROXY_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const { name, listen, upstream, control: controlAt } = parsed.options;
  const proxy = await FaultProxy.start({ name, listen, upstream });
  const control = await startFaultProxyControl(proxy, controlAt);
  process.stdout.write(`${JSON.stringify({ name, address: proxy.address, upstream, control: control.url })}\n`);
  const stop = () => {
    void Promise.all([control.close(), proxy.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
