import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FaultProxy } from '../src/fault-proxy';

/**
 * The fault proxy with real sockets on loopback, in front of an echo server (or one that does not read):
 * bytes both ways, latency, resets, blackholes, refused connects, half-close, backpressure, and no
 * socket left open after close().
 */

/** A server the proxy forwards to; it keeps its sockets so a test can see they closed. */
class Upstream {
  readonly sockets = new Set<Socket>();
  accepted = 0;
  readonly errors: string[] = [];
  private readonly changes = new EventEmitter();

  private constructor(private readonly server: Server) {}

  /** Echoes every byte back; ends its side when the client does. */
  static echo(): Promise<Upstream> {
    return Upstream.start((socket) => socket.pipe(socket));
  }

  static async start(serve: (socket: Socket) => void): Promise<Upstream> {
    const upstream = new Upstream(createServer());
    upstream.server.on('connection', (socket) => {
      upstream.accepted += 1;
      upstream.sockets.add(socket);
      socket.on('error', (e: NodeJS.ErrnoException) => upstream.errors.push(e.code ?? e.message));
      socket.on('close', () => {
        upstream.sockets.delete(socket);
        upstream.changes.emit('change');
      });
      upstream.changes.emit('change');
      serve(socket);
    });
    upstream.server.listen(0, '127.0.0.1');
    await once(upstream.server, 'listening');
    return upstream;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async until(holds: () => boolean): Promise<void> {
    while (!holds()) await once(this.changes, 'change');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A client connection that keeps what it receives and how it ended. */
class Client {
  received = Buffer.alloc(0);
  error: NodeJS.ErrnoException | undefined;
  ended = false;
  closed = false;
  private readonly changes = new EventEmitter();
  private readonly closing: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closing = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.changes.emit('change');
    });
    socket.on('end', () => {
      this.ended = true;
      this.changes.emit('change');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e));
    socket.on('close', () => {
      this.closed = true;
      this.changes.emit('change');
    });
  }

  static async connect(port: number): Promise<Client> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new Client(socket);
  }

  /** Waits until `holds`; fails when the connection closes first. */
  async until(holds: () => boolean, what: string): Promise<void> {
    while (!holds()) {
      if (this.closed) throw new Error(`the connection closed before ${what} (${this.error?.code ?? 'no error'})`);
      await once(this.changes, 'change');
    }
  }

  /** Writes `bytes` and waits until as many bytes have come back (from an echo server). */
  async roundTrip(bytes: Buffer): Promise<Buffer> {
    const before = this.received.length;
    this.socket.write(bytes);
    await this.until(() => this.received.length >= before + bytes.length, `${bytes.length} bytes came back`);
    return this.received.subarray(before, before + bytes.length);
  }

  whenClosed(): Promise<void> {
    return this.closing;
  }
}

/** The error code of a connect to `port` (e.g. ECONNREFUSED); fails when the connect succeeds. */
async function connectError(port: number): Promise<string | undefined> {
  const socket = connect({ host: '127.0.0.1', port });
  const [outcome] = (await Promise.race([once(socket, 'connect').then(() => ['connected']), once(socket, 'error')])) as [unknown];
  socket.destroy();
  if (outcome === 'connected') throw new Error(`the connect to ${port} succeeded`);
  return (outcome as NodeJS.ErrnoException).code;
}

async function timedRoundTrip(client: Client, bytes: Buffer): Promise<number> {
  const started = performance.now();
  await client.roundTrip(bytes);
  return performance.now() - started;
}

let upstream: Upstream;
let proxy: FaultProxy;
const clients: Client[] = [];

async function client(): Promise<Client> {
  const connected = await Client.connect(proxy.address.port);
  clients.push(connected);
  return connected;
}

beforeEach(async () => {
  upstream = await Upstream.echo();
  proxy = await FaultProxy.start({ name: 'echo', listen: { host: '127.0.0.1' }, upstream: { host: '127.0.0.1', port: upstream.port } });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await proxy.close();
  await upstream.close();
});

describe('FaultProxy without faults', () => {
  it('passes bytes both ways unchanged and counts them', async () => {
    const c = await client();
    const payload = randomBytes(3 * 1024 * 1024);
    expect((await c.roundTrip(payload)).equals(payload)).toBe(true);
    expect(proxy.counters).toMatchObject({ accepted: 1, open: 1, bytesToUpstream: payload.length, bytesToClient: payload.length, bytesSwallowed: 0 });
    expect(proxy.state().faults).toEqual({ latency: null, blackhole: false, refusing: false });
  });

  it('passes a FIN on after the bytes before it, and both sides close (half-close kept)', async () => {
    proxy.latency(100);
    const c = await client();
    c.socket.end('last words');
    await c.until(() => c.ended, 'the echo server ended its side');
    expect(c.received.toString()).toBe('last words');
    await c.whenClosed();
    await proxy.until((n) => n.open === 0);
    await upstream.until(() => upstream.sockets.size === 0);
  });

  it('resets the client when the server resets, and the server when the client does', async () => {
    const first = await client();
    await first.roundTrip(Buffer.from('ping'));
    for (const socket of upstream.sockets) socket.resetAndDestroy();
    await first.whenClosed();
    expect(first.error?.code).toBe('ECONNRESET');

    const second = await client();
    await second.roundTrip(Buffer.from('ping'));
    second.socket.resetAndDestroy();
    await upstream.until(() => upstream.sockets.size === 0);
    expect(upstream.errors).toContain('ECONNRESET');
    await proxy.until((n) => n.open === 0);
  });

  it('resets the client when the upstream server refuses the connection', async () => {
    await upstream.close();
    const c = await client();
    await c.whenClosed();
    expect(c.error?.code).toBe('ECONNRESET');
    await proxy.until((n) => n.open === 0);
  });

  it('stops reading from a client while the server does not read, and loses nothing (backpressure)', async () => {
    let reading!: Socket;
    const sink = await Upstream.start((socket) => {
      reading = socket;
      socket.pause();
    });
    const slow = await FaultProxy.start({ name: 'sink', listen: { host: '127.0.0.1' }, upstream: { host: '127.0.0.1', port: sink.port } });
    try {
      const c = await Client.connect(slow.address.port);
      clients.push(c);
      const payload = randomBytes(64 * 1024 * 1024);
      c.socket.write(payload);
      const paused = await slow.until((n) => n.backpressurePauses > 0);
      expect(paused.bytesToUpstream).toBeLessThan(payload.length);
      await sink.until(() => sink.sockets.size === 1);
      const chunks: Buffer[] = [];
      let size = 0;
      const all = new Promise<void>((resolve) =>
        reading.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= payload.length) resolve();
        }),
      );
      reading.resume();
      await all;
      expect(Buffer.concat(chunks).equals(payload)).toBe(true);
      expect(slow.counters.bytesToUpstream).toBe(payload.length);
    } finally {
      await slow.close();
      await sink.close();
    }
  });
});

describe('FaultProxy latency', () => {
  it('delays every chunk both ways by at least the latency, and clear() takes it away', async () => {
    const c = await client();
    await c.roundTrip(Buffer.from('warm-up'));
    proxy.latency(400);
    expect(await timedRoundTrip(c, Buffer.from('ping'))).toBeGreaterThanOrEqual(800);
    await proxy.clear();
    expect(proxy.state().faults.latency).toBeNull();
    expect(await timedRoundTrip(c, Buffer.from('ping'))).toBeLessThan(400);
  });

  it('spreads the delay with jitter but keeps the order of the bytes', async () => {
    proxy.latency(50, 100);
    const c = await client();
    const started = performance.now();
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.from(`part ${i};`));
    for (const part of parts) c.socket.write(part);
    const all = Buffer.concat(parts);
    await c.until(() => c.received.length >= all.length, 'every part came back');
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(c.received.toString()).toBe(all.toString());
  });
});

describe('FaultProxy reset', () => {
  it('closes every open connection with an RST: the client sees ECONNRESET, new connections go through', async () => {
    const [a, b] = [await client(), await client()];
    await a.roundTrip(Buffer.from('ping'));
    await b.roundTrip(Buffer.from('ping'));
    expect(proxy.reset()).toBe(2);
    await Promise.all([a.whenClosed(), b.whenClosed()]);
    expect([a.error?.code, b.error?.code]).toEqual(['ECONNRESET', 'ECONNRESET']);
    await upstream.until(() => upstream.sockets.size === 0);
    expect(upstream.errors).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(proxy.counters).toMatchObject({ open: 0, resets: 2 });
    const again = await client();
    expect((await again.roundTrip(Buffer.from('pong'))).toString()).toBe('pong');
  });
});

describe('FaultProxy blackhole', () => {
  it('swallows the bytes of open and new connections, which stay open until the client gives up', async () => {
    const before = await client();
    await before.roundTrip(Buffer.from('ping'));
    proxy.blackhole();
    const during = await client();
    for (const c of [before, during]) {
      c.socket.setTimeout(300);
      c.socket.write('request');
    }
    await proxy.until((n) => n.bytesSwallowed === 2 * 'request'.length);
    await Promise.all([once(before.socket, 'timeout'), once(during.socket, 'timeout')]);
    for (const c of [before, during]) expect({ closed: c.closed, ended: c.ended, received: c.received.toString() }).toEqual({ closed: false, ended: false, received: c === before ? 'ping' : '' });
    expect(proxy.counters).toMatchObject({ open: 2, bytesToUpstream: 4 });
    expect(upstream.accepted).toBe(1);
  });

  it('clear(): the connections it severed are reset and new ones go through', async () => {
    const severed = await client();
    proxy.blackhole();
    severed.socket.write('lost');
    await proxy.until((n) => n.bytesSwallowed === 4);
    await proxy.clear();
    await severed.whenClosed();
    expect(severed.error?.code).toBe('ECONNRESET');
    const fresh = await client();
    expect((await fresh.roundTrip(Buffer.from('found'))).toString()).toBe('found');
    expect(proxy.state().faults.blackhole).toBe(false);
  });
});

describe('FaultProxy refuse', () => {
  it('refuses connects while open connections carry on; restore() listens on the same port again', async () => {
    const open = await client();
    const { port } = proxy.address;
    proxy.refuse();
    expect(await connectError(port)).toBe('ECONNREFUSED');
    expect((await open.roundTrip(Buffer.from('still here'))).toString()).toBe('still here');
    expect(proxy.state().faults.refusing).toBe(true);
    await proxy.restore();
    expect(proxy.address.port).toBe(port);
    const back = await client();
    expect((await back.roundTrip(Buffer.from('back'))).toString()).toBe('back');
  });

  it('clear() listens again too', async () => {
    proxy.refuse();
    expect(await connectError(proxy.address.port)).toBe('ECONNREFUSED');
    await proxy.clear();
    expect((await (await client()).roundTrip(Buffer.from('x'))).toString()).toBe('x');
  });
});

describe('FaultProxy close', () => {
  it('leaves no socket open: clients, upstream connections and the listener', async () => {
    const plain = await client();
    await plain.roundTrip(Buffer.from('ping'));
    proxy.latency(10_000);
    plain.socket.write('in flight');
    const other = await client();
    proxy.blackhole();
    const hanging = await client();
    await proxy.close();
    await Promise.all([plain, other, hanging].map((c) => c.whenClosed()));
    await upstream.until(() => upstream.sockets.size === 0);
    expect(proxy.counters.open).toBe(0);
    expect(await connectError(proxy.address.port)).toBe('ECONNREFUSED');
  });
});
