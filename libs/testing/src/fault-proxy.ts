/*
 * A TCP proxy that puts network faults between a client and the server it forwards to, for the fault
 * campaign of issue #11 (a service and Kafka or Postgres): latency, connection resets, blackholes and
 * refused connections, set and cleared while it runs. Toxiproxy is not packaged for these machines, so
 * this is the project's own, on Node's `net` only. A test tool: it forwards to anyone who connects, so
 * it listens on loopback (scripts/fault-proxy.ts, its command line and HTTP control, insists on it).
 *
 * Faults (each can be set and cleared at run time):
 * - latency(ms, jitterMs): every chunk read after the call, either way, is written ms + [0, jitterMs)
 *   later. Order is kept (a chunk never overtakes the one before it, as in TCP), so jitter spreads
 *   the delay and never reorders the stream.
 * - reset(): every open connection is closed with a TCP RST on both sides (the client and the server
 *   see ECONNRESET). Once: new connections go through.
 * - blackhole(): nothing is forwarded any more. Bytes read either way are dropped (counted as
 *   swallowed), a FIN too, and connections stay open; new connections are accepted and never
 *   connected upstream, so a client's connect succeeds and its first request hangs. A connection
 *   that lost bytes this way is severed: its stream has a hole, so it never forwards again.
 * - refuse(): the listening socket closes, so connects are refused (ECONNREFUSED); open connections
 *   carry on. restore() listens again on the same port.
 * - clear(): no latency; the blackhole ends and its severed connections are reset (a client keeping
 *   one would otherwise wait for its own timeout on a stream that can never be whole again); listening.
 *
 * Forwarding respects backpressure: a side is paused while the other does not drain or while more than
 * QUEUE_HIGH_WATER bytes wait for their latency. A FIN is passed on once the bytes before it are
 * written (a half-close is kept: a client may still read the answer after sending its FIN); an error
 * or a reset on one side resets the other. A connection counts as closed once both sockets are.
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FaultProxyEndpoint {
  host: string;
  port: number;
}

export interface FaultProxyOptions {
  /** Names the proxy in its state (e.g. "kafka", "postgres"). */
  name: string;
  /** Where it listens; no port = one the system picks (see `address`). */
  listen: { host: string; port?: number };
  /** Where it forwards to. */
  upstream: FaultProxyEndpoint;
}

export interface FaultProxyLatency {
  ms: number;
  jitterMs: number;
}

export interface FaultProxyCounters {
  /** Connections accepted since the start. */
  accepted: number;
  /** Connections not yet closed on both sides. */
  open: number;
  /** Bytes written to the upstream server. */
  bytesToUpstream: number;
  /** Bytes written back to clients. */
  bytesToClient: number;
  /** Bytes a blackhole dropped, either way. */
  bytesSwallowed: number;
  /** Connections closed with an RST by reset() or clear(). */
  resets: number;
  /** Times a side was paused because the other did not drain or too much waited for its latency. */
  backpressurePauses: number;
}

export interface FaultProxyState {
  name: string;
  address: FaultProxyEndpoint;
  upstream: FaultProxyEndpoint;
  faults: { latency: FaultProxyLatency | null; blackhole: boolean; refusing: boolean };
  counters: FaultProxyCounters;
}

/** Bytes waiting for their latency in one direction beyond which the reading side is paused. */
export const QUEUE_HIGH_WATER = 1024 * 1024;

/** What a relay needs of its proxy. */
interface RelayLink {
  delayMs(): number;
  forwarded(bytes: number): void;
  swallowed(bytes: number): void;
  paused(): void;
}

/** One direction of a connection: reads `source`, writes `sink` once each chunk's latency has passed. */
class Relay {
  private queue: Array<{ chunk: Buffer; due: number }> = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private congested = false;
  private finPending = false;
  private swallowing = false;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    private readonly link: RelayLink,
  ) {
    source.on('data', (chunk: Buffer) => this.receive(chunk));
    source.on('end', () => this.sourceEnded());
    sink.on('drain', () => {
      this.congested = false;
      this.flush();
    });
  }

  /** From now on everything read is dropped, a FIN too. */
  swallow(): void {
    this.swallowing = true;
  }

  /** The source is done (its FIN, or it closed): the sink gets a FIN after the queued bytes. */
  sourceEnded(): void {
    if (this.swallowing) return;
    this.finPending = true;
    this.flush();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue = [];
    this.queuedBytes = 0;
  }

  private receive(chunk: Buffer): void {
    if (this.swallowing) return this.link.swallowed(chunk.length);
    const due = Math.max(performance.now() + this.link.delayMs(), this.lastDue);
    this.lastDue = due;
    this.queue.push({ chunk, due });
    this.queuedBytes += chunk.length;
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sink.destroyed) return this.stop();
    while (!this.congested && this.queue.length > 0) {
      const head = this.queue[0] as { chunk: Buffer; due: number };
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
        break;
      }
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      this.link.forwarded(head.chunk.length);
      if (!this.sink.write(head.chunk)) this.congested = true;
    }
    if (this.finPending && this.queue.length === 0 && !this.sink.writableEnded) this.sink.end();
    this.throttle();
  }

  private throttle(): void {
    if (this.congested || this.queuedBytes > QUEUE_HIGH_WATER) {
      if (this.source.isPaused()) return;
      this.source.pause();
      this.link.paused();
    } else if (!this.source.destroyed && this.source.isPaused()) this.source.resume();
  }
}

const resetSocket = (socket: Socket) => {
  if (!socket.destroyed) socket.resetAndDestroy();
};

/** A client's connection and, unless a blackhole took it in, its connection upstream. */
class ProxiedConnection {
  private readonly fromClient: Relay | undefined;
  private readonly fromUpstream: Relay | undefined;
  severed = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket | undefined,
    link: { toUpstream: RelayLink; toClient: RelayLink; closed(connection: ProxiedConnection): void },
  ) {
    const sockets = upstream ? [client, upstream] : [client];
    let open = sockets.length;
    for (const socket of sockets) {
      socket.setNoDelay(true);
      // An error always ends in 'close' (hadError), handled below.
      socket.on('error', () => undefined);
      socket.once('close', (hadError) => {
        this.sideClosed(socket, hadError);
        if (--open > 0) return;
        this.fromClient?.stop();
        this.fromUpstream?.stop();
        link.closed(this);
      });
    }
    if (upstream) {
      this.fromClient = new Relay(client, upstream, link.toUpstream);
      this.fromUpstream = new Relay(upstream, client, link.toClient);
    } else {
      this.severed = true;
      client.on('data', (chunk: Buffer) => link.toUpstream.swallowed(chunk.length));
    }
  }

  /** Drops everything from now on (blackhole). */
  sever(): void {
    this.severed = true;
    this.fromClient?.swallow();
    this.fromUpstream?.swallow();
  }

  reset(): void {
    resetSocket(this.client);
    if (this.upstream) resetSocket(this.upstream);
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  /** An error or reset on one side resets the other; a clean close ends it after the bytes in flight. */
  private sideClosed(socket: Socket, hadError: boolean): void {
    const [other, relay] = socket === this.client ? [this.upstream, this.fromClient] : [this.client, this.fromUpstream];
    if (!other || other.destroyed) return;
    if (hadError) return resetSocket(other);
    relay?.sourceEnded();
  }
}

/** A TCP proxy with faults that can be set and cleared at run time (see the top of this file). */
export class FaultProxy {
  private server: Server | undefined;
  /** A listen under way (restore() called twice at once listens once). */
  private listening: Promise<void> | undefined;
  private readonly connections = new Set<ProxiedConnection>();
  private latencySetting: FaultProxyLatency | null = null;
  private blackholed = false;
  private readonly changes = new EventEmitter();
  private readonly counts: FaultProxyCounters = { accepted: 0, open: 0, bytesToUpstream: 0, bytesToClient: 0, bytesSwallowed: 0, resets: 0, backpressurePauses: 0 };
  private readonly toUpstream: RelayLink;
  private readonly toClient: RelayLink;

  private constructor(
    readonly name: string,
    private readonly listenHost: string,
    private port: number,
    readonly upstream: FaultProxyEndpoint,
  ) {
    this.changes.setMaxListeners(0);
    const delayMs = () => this.delayMs();
    const swallowed = (bytes: number) => this.count('bytesSwallowed', bytes);
    const paused = () => this.count('backpressurePauses', 1);
    this.toUpstream = { delayMs, swallowed, paused, forwarded: (bytes) => this.count('bytesToUpstream', bytes) };
    this.toClient = { delayMs, swallowed, paused, forwarded: (bytes) => this.count('bytesToClient', bytes) };
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options.name, options.listen.host, options.listen.port ?? 0, { ...options.upstream });
    await proxy.restore();
    return proxy;
  }

  /** Where clients connect (the port the system picked when none was asked for). */
  get address(): FaultProxyEndpoint {
    return { host: this.listenHost, port: this.port };
  }

  latency(ms: number, jitterMs = 0): void {
    if (!Number.isFinite(ms) || !Number.isFinite(jitterMs) || ms < 0 || jitterMs < 0) throw new RangeError(`latency needs ms >= 0 and jitterMs >= 0, got ${ms} and ${jitterMs}`);
    this.latencySetting = ms === 0 && jitterMs === 0 ? null : { ms, jitterMs };
  }

  /** Closes every open connection with an RST on both sides; returns how many. */
  reset(): number {
    const open = [...this.connections];
    for (const connection of open) connection.reset();
    this.count('resets', open.length);
    return open.length;
  }

  blackhole(): void {
    this.blackholed = true;
    for (const connection of this.connections) connection.sever();
  }

  /** Stops listening: connects are refused until restore() or clear(). */
  refuse(): void {
    this.server?.close();
    this.server = undefined;
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    this.listening ??= this.listen().finally(() => (this.listening = undefined));
    await this.listening;
  }

  /** No fault any more: no latency, no blackhole (its severed connections are reset), listening. */
  async clear(): Promise<void> {
    this.latencySetting = null;
    if (this.blackholed) {
      this.blackholed = false;
      const severed = [...this.connections].filter((c) => c.severed);
      for (const connection of severed) connection.reset();
      this.count('resets', severed.length);
    }
    await this.restore();
  }

  get counters(): FaultProxyCounters {
    return { ...this.counts };
  }

  state(): FaultProxyState {
    return {
      name: this.name,
      address: this.address,
      upstream: { ...this.upstream },
      faults: { latency: this.latencySetting ? { ...this.latencySetting } : null, blackhole: this.blackholed, refusing: !this.server },
      counters: this.counters,
    };
  }

  /** A barrier: resolves with the counters once `holds` is true of them (checked at every change). */
  until(holds: (counters: FaultProxyCounters) => boolean, timeoutMs = 10_000): Promise<FaultProxyCounters> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!holds(this.counts)) return;
        done();
        resolve(this.counters);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fault proxy ${this.name}: condition not reached in ${timeoutMs} ms (counters ${JSON.stringify(this.counts)})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', check);
      };
      this.changes.on('change', check);
      check();
    });
  }

  /** Stops listening and closes every connection; resolves once all are closed. */
  async close(): Promise<void> {
    this.refuse();
    for (const connection of this.connections) connection.destroy();
    await this.until((c) => c.open === 0);
  }

  private delayMs(): number {
    const latency = this.latencySetting;
    return latency ? latency.ms + Math.random() * latency.jitterMs : 0;
  }

  private count(counter: keyof FaultProxyCounters, by: number): void {
    this.counts[counter] += by;
    this.changes.emit('change');
  }

  private listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.listenHost, port: this.port }, () => {
        server.off('error', reject);
        // Later server errors (e.g. out of file descriptors on accept) leave it listening; nothing to do.
        server.on('error', () => undefined);
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    const upstream = this.blackholed ? undefined : connect({ ...this.upstream, allowHalfOpen: true });
    const connection = new ProxiedConnection(client, upstream, {
      toUpstream: this.toUpstream,
      toClient: this.toClient,
      closed: (closed) => {
        this.connections.delete(closed);
        this.count('open', -1);
      },
    });
    this.connections.add(connection);
    this.counts.accepted += 1;
    this.count('open', 1);
  }
}
