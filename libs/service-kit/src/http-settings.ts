import { z } from 'zod';

/** An empty variable (VAR= in a shell or compose file) counts as unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[?[0-9a-f:.]+\]?$/;

/** The HTTP variables every service reads (part of baseConfigSchema). */
export const httpConfigShape = {
  /** Deepest nesting of arrays and objects accepted in a JSON body (400 beyond it). */
  HTTP_JSON_MAX_DEPTH: unsetWhenEmpty(z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(4).max(256).default(32)),
  /**
   * The URL clients reach this service at (scheme, host, port and an optional path prefix). Every
   * absolute link the service writes (FHIR Bundle links and fullUrls) starts with it; never with the
   * request's Host. https:// also turns on Strict-Transport-Security. Default http://HOST:PORT.
   */
  PUBLIC_BASE_URL: unsetWhenEmpty(
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. https://billing.lab.example' })
      .refine((u) => !/[?#]/.test(u), 'must have no query or fragment')
      .refine((u) => !new URL(u).username && !new URL(u).password, 'must carry no user name or password')
      .optional(),
  ),
  /**
   * Host names (or IP addresses) besides the loopback names, the bind address and the host of
   * PUBLIC_BASE_URL that clients may put in the Host header, comma-separated, without ports.
   */
  HTTP_ALLOWED_HOSTS: unsetWhenEmpty(
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().refine((h) => HOST_NAME.test(h) || IPV6.test(h), 'each entry must be a host name or IP address, without scheme or port')))
      .optional(),
  ),
};

/** What createServiceApp and the link builders need, derived once from the configuration. */
export interface HttpSettings {
  /** Base of every absolute link, without a trailing slash (e.g. https://billing.lab.example or http://127.0.0.1:3004). */
  publicBaseUrl: string;
  /** Host names (lower case, IPv6 without brackets) accepted in the Host header. */
  allowedHosts: readonly string[];
  jsonMaxDepth: number;
  /** Strict-Transport-Security and upgrade-insecure-requests: only when clients reach us over https. */
  https: boolean;
  /** Media types a route reads from the request stream itself (not JSON); any other non-JSON body is refused with 415. */
  streamedMediaTypes: readonly string[];
}

/** Nest token of the service's HttpSettings (provided by serviceModule). */
export const HTTP_SETTINGS = Symbol('HTTP_SETTINGS');

export interface HttpConfig {
  HOST: string;
  PORT: number;
  HTTP_JSON_MAX_DEPTH: number;
  PUBLIC_BASE_URL?: string | undefined;
  HTTP_ALLOWED_HOSTS?: readonly string[] | undefined;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const WILDCARD = ['0.0.0.0', '::', '[::]', ''];

/** A host name as compared: lower case, IPv6 without brackets. */
export function normalHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/** The base URL links are built from: PUBLIC_BASE_URL, else http://HOST:PORT (127.0.0.1 when HOST is a wildcard such as 0.0.0.0). */
export function publicBaseUrlOf(config: Pick<HttpConfig, 'HOST' | 'PORT' | 'PUBLIC_BASE_URL'>): string {
  if (config.PUBLIC_BASE_URL) return new URL(config.PUBLIC_BASE_URL).href.replace(/\/+$/, '');
  const host = WILDCARD.includes(config.HOST.trim()) ? '127.0.0.1' : config.HOST.trim();
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.PORT}`;
}

export function httpSettingsFrom(config: HttpConfig, streamedMediaTypes: readonly string[] = []): HttpSettings {
  const publicBaseUrl = publicBaseUrlOf(config);
  const bindHost = WILDCARD.includes(config.HOST.trim()) ? [] : [config.HOST];
  const hosts = [...LOOPBACK, ...bindHost, new URL(publicBaseUrl).hostname, ...(config.HTTP_ALLOWED_HOSTS ?? [])].map(normalHost);
  return {
    publicBaseUrl,
    allowedHosts: [...new Set(hosts)],
    jsonMaxDepth: config.HTTP_JSON_MAX_DEPTH,
    https: publicBaseUrl.startsWith('https:'),
    streamedMediaTypes: streamedMediaTypes.map((t) => t.toLowerCase()),
  };
}

/** An absolute link to a path of this service (path starts with "/"), from the configured base, never from the request. */
export function publicUrl(settings: Pick<HttpSettings, 'publicBaseUrl'>, path: string): string {
  return `${settings.publicBaseUrl}${path.startsWith('/') ? path : `/${path}`}`;
}
