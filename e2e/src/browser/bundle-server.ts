import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { OpsConsoleConfig } from '@slidecharge/contracts/ops-console';

export const BUNDLE_DIR = join(__dirname, '../../../dist/services/ops-console-web');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

export interface BundleServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The built browser bundle (nx run ops-console-web:build) served as a plain static site, with the one
 * thing the browser needs before signing in: GET /api/config. It stands in for services/ops-console
 * only in tests of the front end itself (sign-in through the real identity provider, keyboard, error
 * states); every other /api route answers 502 as a proxy with nothing behind it would.
 */
export async function serveBundle(config: OpsConsoleConfig): Promise<BundleServer> {
  if (!existsSync(join(BUNDLE_DIR, 'index.html'))) throw new Error(`no ${BUNDLE_DIR}/index.html: run npx nx run ops-console-web:build first`);
  const index = readFileSync(join(BUNDLE_DIR, 'index.html'));
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/config') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config));
      return;
    }
    if (path.startsWith('/api/')) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad_gateway', message: 'no ops console server behind this static bundle' }));
      return;
    }
    const file = normalize(join(BUNDLE_DIR, path));
    if (file.startsWith(BUNDLE_DIR) && path !== '/' && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      return;
    }
    res.writeHead(200, { 'content-type': TYPES['.html'] as string }).end(index);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
