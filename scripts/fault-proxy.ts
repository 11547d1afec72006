/*
 * A TCP proxy with network faults for the fault campaign (issue #11), as a process of its own: the
 * proxy of libs/testing/src/fault-proxy.ts and its HTTP control on loopback
 * (libs/testing/src/fault-proxy-control.ts: GET /state, POST /faults). A test tool, never part of a
 * deployment: it listens on loopback only and its control has no authentication.
 *
 *   node_modules/.bin/ts-node --transpile-only -O '{"module":"commonjs"}' scripts/fault-proxy.ts \
 *     --name kafka --listen 127.0.0.1:19094 --upstream 127.0.0.1:19095 [--control 127.0.0.1:0]
 *
 * Prints one JSON line when ready: {"name","address","upstream","control"} (the control's URL, its
 * port picked by the system unless --control names one); stops on SIGTERM or SIGINT.
 * Kafka: the proxy must be on the address the broker advertises, not only the bootstrap one: see
 * KAFKA_PROXY_PORT in scripts/kafka.sh. Relative imports only: ts-node runs this file without the
 * workspace's path aliases.
 */
import { runFaultProxy } from '../libs/testing/src/fault-proxy-control';

runFaultProxy(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`fault-proxy: ${(e as Error).message}\n`);
  process.exit(1);
});
