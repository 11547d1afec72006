import { extname, relative, resolve, sep } from 'node:path';

/**
 * How the console's server serves its web front end (pure): which paths are the front end's, which
 * file answers a path, how long browsers may keep it, and the Content-Security-Policy of its pages.
 */

/** Paths of the server's own: the API, probes, metrics, API docs and its own dead letters (service kit). Never the front end's. */
export function isServerPath(path: string): boolean {
  return (
    path === '/api' ||
    path.startsWith('/api/') ||
    path.startsWith('/health/') ||
    path === '/health' ||
    path === '/metrics' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/docs-') ||
    path === '/openapi.json' ||
    path === '/dead-letters' ||
    path.startsWith('/dead-letters/')
  );
}

/** Paths that need no credential: the sign-in settings and the front end's files (no data in either). */
export function isOpenPath(path: string): boolean {
  return path === '/api/config' || !isServerPath(path);
}

/**
 * The file a path names under the web root, or null when it would leave the root (../, encoded or not)
 * or is a dotfile. A path without an extension is a client route: index.html answers it.
 */
export function webFileOf(root: string, path: string): { file: string; fallback: boolean } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').some((segment) => segment.startsWith('.'))) return null;
  const base = resolve(root);
  const file = resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  const inside = relative(base, file);
  if (inside.startsWith('..') || inside.includes(`..${sep}`)) return null;
  if (inside === '' || extname(file) === '') return { file: resolve(base, 'index.html'), fallback: true };
  return { file, fallback: false };
}

const ONE_YEAR = 365 * 24 * 60 * 60;

/** Cache-Control of a front-end file: content-hashed build output kept a year, index.html (and the rest) revalidated each time. */
export function cacheControlOf(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? '';
  const hashed = /[.-][A-Za-z0-9_-]{8,}\.(?:js|mjs|css|woff2?|svg|png|jpe?g|webp|ico|map)$/.test(name) && name !== 'index.html';
  return hashed ? `public, max-age=${ONE_YEAR}, immutable` : 'no-cache';
}

/**
 * The Content-Security-Policy of the front end: everything from this origin; calls (token endpoint)
 * and the silent-renew frame to the identity provider's origin only; no plugins, no framing of the console.
 */
export function webContentSecurityPolicy(issuer: string): string {
  const idp = new URL(issuer).origin;
  return [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src 'self' ${idp}`,
    `frame-src ${idp}`,
    "font-src 'self' data:",
    `form-action 'self' ${idp}`,
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
  ].join('; ');
}
