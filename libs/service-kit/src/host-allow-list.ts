import type { NestExpressApplication } from '@nestjs/platform-express';
import { HttpSettings, normalHost } from './http-settings';
import { RequestRefusal } from './request-refusal';

interface HostRequest {
  headers: Record<string, string | string[] | undefined>;
  path: string;
}

/**
 * Paths answered whatever the Host: probes (a kubelet, a load balancer) and scrapers address a pod
 * by IP. They build no links and carry no patient data.
 */
const ANY_HOST_PATHS = /^\/(health\/|metrics$)/;

/** The host name of a Host header value (port and IPv6 brackets removed, lower case), or undefined when there is none. */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  const value = hostHeader?.trim();
  if (!value) return undefined;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 0 ? normalHost(value.slice(0, end + 1)) : undefined;
  }
  return normalHost(value.replace(/:\d*$/, ''));
}

/**
 * 421 Misdirected Request when the Host header names a host this service does not serve (RFC 9110
 * 15.5.20: "the server is not able to produce an authoritative response for this target URI"): a
 * forged Host or a DNS-rebinding page. Undefined when the request may go on.
 */
export function hostRefusal(hostHeader: string | undefined, path: string, allowedHosts: readonly string[]): RequestRefusal | undefined {
  if (ANY_HOST_PATHS.test(path)) return undefined;
  const host = hostNameOf(hostHeader);
  if (host !== undefined && allowedHosts.includes(host)) return undefined;
  return new RequestRefusal(421, {
    error: 'host_not_allowed',
    message:
      host === undefined
        ? 'the request has no Host header'
        : `this service does not answer for Host ${JSON.stringify(host.slice(0, 100))}; use its configured address (PUBLIC_BASE_URL, HTTP_ALLOWED_HOSTS)`,
  });
}

/** Refuses requests whose Host is not allowed (see hostRefusal), before anything else reads them. */
export function useHostAllowList(app: NestExpressApplication, settings: HttpSettings): void {
  app.use((req: HostRequest, _res: unknown, next: (err?: unknown) => void) => {
    const host = req.headers['host'];
    next(hostRefusal(Array.isArray(host) ? host[0] : host, req.path, settings.allowedHosts));
  });
}
