import { spawn, type ChildProcessWithoutNullStreams as ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WORKSPACE_ROOT } from '../src';

/**
 * scripts/fault-proxy.ts as the campaign runs it: a process of its own, driven over HTTP on loopback
 * (GET /state, POST /faults), stopped by SIGTERM.
 */
const tsNode = join(WORKSPACE_ROOT, 'node_modules/.bin/ts-node');
const script = join(WORKSPACE_ROOT, 'scripts/fault-proxy.ts');

function startScript(args: string[]): ChildProcess {
  return spawn(tsNode, ['--transpile-only', '-O', '{"module":"commonjs"}', script, ...args], { cwd: WORKSPACE_ROOT, stdio: 'pipe' });
}

/** The ready line, or the script's stderr when it exits first. */
async function firstLine(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const line = await Promise.race([
    once(lines, 'line').then(([first]) => first as string),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`fault-proxy exited (${code}) before it was ready: ${stderr}`))),
  ]);
  lines.close();
  return line;
}

async function exit(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (child.exitCode === null ? await once(child, 'exit') : [child.exitCode]) as [number | null];
  return { code, stderr };
}

/** Sends one line to the echo server through the proxy and waits for it to come back. */
async function echoThrough(port: number, text: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.end(text);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  await once(socket, 'close');
  return received;
}

async function post(control: string, fault: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let echo: Server;
let echoPort: number;

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => echo.close(resolve));
});

it('runs the proxy, reports its ports, takes faults over HTTP and stops on SIGTERM', async () => {
  const child = startScript(['--name', 'echo', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${echoPort}`]);
  try {
    const ready = JSON.parse(await firstLine(child)) as { name: string; address: { port: number }; upstream: unknown; control: string };
    expect(ready).toMatchObject({ name: 'echo', upstream: { host: '127.0.0.1', port: echoPort }, control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(await echoThrough(ready.address.port, 'through')).toBe('through');

    const latency = await post(ready.control, { kind: 'latency', ms: 100, jitterMs: 10 });
    expect(latency).toMatchObject({ status: 200, body: { faults: { latency: { ms: 100, jitterMs: 10 }, blackhole: false, refusing: false } } });
    expect(await post(ready.control, { kind: 'refuse' })).toMatchObject({ status: 200, body: { faults: { refusing: true } } });
    expect(await post(ready.control, { kind: 'clear' })).toMatchObject({ status: 200, body: { faults: { latency: null, refusing: false } } });
    expect(await post(ready.control, { kind: 'flood' })).toEqual({ status: 400, body: { error: 'invalid_fault', problems: ['kind: must be one of latency, reset, blackhole, refuse, restore, clear'] } });

    const state = (await (await fetch(`${ready.control}/state`)).json()) as { counters: { accepted: number; bytesToUpstream: number } };
    expect(state.counters).toMatchObject({ accepted: 1, bytesToUpstream: 'through'.length });
    expect((await fetch(`${ready.control}/nothing`)).status).toBe(404);
  } finally {
    child.kill('SIGTERM');
  }
  expect((await exit(child)).code).toBe(0);
});

it('refuses to listen beyond loopback, and says why', async () => {
  const child = startScript(['--name', 'open', '--listen', '0.0.0.0:0', '--upstream', `127.0.0.1:${echoPort}`]);
  const { code, stderr } = await exit(child);
  expect(code).toBe(2);
  expect(stderr).toContain('fault-proxy: --listen must be a loopback address (a test tool), got 0.0.0.0');
});
