import { baseConfigSchema, loadConfig, portVariable } from './config';
import { httpSettingsFrom, publicBaseUrlOf, publicUrl } from './http-settings';

const schema = baseConfigSchema.extend({ PORT: portVariable(3004) });
const load = (env: Record<string, string>) => loadConfig(schema, { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'k:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab', ...env });

describe('HTTP configuration', () => {
  it('defaults: depth 32, links from http://HOST:PORT, loopback names and the bind address allowed, no HSTS', () => {
    const settings = httpSettingsFrom(load({ HOST: '10.1.2.3' }));
    expect(settings).toEqual({
      publicBaseUrl: 'http://10.1.2.3:3004',
      allowedHosts: ['127.0.0.1', 'localhost', '::1', '10.1.2.3'],
      jsonMaxDepth: 32,
      https: false,
      streamedMediaTypes: [],
    });
  });

  it('a wildcard bind address (containers) is not a link host: links go to 127.0.0.1 until PUBLIC_BASE_URL says otherwise', () => {
    expect(publicBaseUrlOf({ HOST: '0.0.0.0', PORT: 3001 })).toBe('http://127.0.0.1:3001');
    expect(publicBaseUrlOf({ HOST: '::1', PORT: 3001 })).toBe('http://[::1]:3001');
    expect(httpSettingsFrom(load({ HOST: '0.0.0.0' })).allowedHosts).toEqual(['127.0.0.1', 'localhost', '::1']);
  });

  it('PUBLIC_BASE_URL (trailing slash dropped, path prefix kept) gives the links, its host, https and HSTS; HTTP_ALLOWED_HOSTS adds names', () => {
    const settings = httpSettingsFrom(
      load({ PUBLIC_BASE_URL: 'https://Lab.Example.org/billing/', HTTP_ALLOWED_HOSTS: 'billing.internal, 10.0.0.7 ,[fd00::7]', HTTP_JSON_MAX_DEPTH: '16' }),
    );
    expect(settings.publicBaseUrl).toBe('https://lab.example.org/billing');
    expect(settings.https).toBe(true);
    expect(settings.jsonMaxDepth).toBe(16);
    expect(settings.allowedHosts).toEqual(['127.0.0.1', 'localhost', '::1', 'lab.example.org', 'billing.internal', '10.0.0.7', 'fd00::7']);
    expect(publicUrl(settings, '/fhir/ChargeItem?_count=1')).toBe('https://lab.example.org/billing/fhir/ChargeItem?_count=1');
  });

  it('an empty variable counts as unset', () => {
    expect(httpSettingsFrom(load({ PUBLIC_BASE_URL: '', HTTP_ALLOWED_HOSTS: ' ', HTTP_JSON_MAX_DEPTH: '' })).publicBaseUrl).toBe('http://127.0.0.1:3004');
  });

  it.each([
    ['PUBLIC_BASE_URL', 'ftp://lab.example', /PUBLIC_BASE_URL must be an http/],
    ['PUBLIC_BASE_URL', 'lab.example:3004', /PUBLIC_BASE_URL must be an http/],
    ['PUBLIC_BASE_URL', 'https://lab.example/?x=1', /PUBLIC_BASE_URL must have no query/],
    ['PUBLIC_BASE_URL', 'https://user:pw@lab.example', /PUBLIC_BASE_URL must carry no user name/],
    ['HTTP_ALLOWED_HOSTS', 'lab.example:443', /HTTP_ALLOWED_HOSTS.0 each entry must be a host name/],
    ['HTTP_ALLOWED_HOSTS', 'https://lab.example', /HTTP_ALLOWED_HOSTS.0 each entry/],
    ['HTTP_JSON_MAX_DEPTH', '2', /HTTP_JSON_MAX_DEPTH/],
    ['HTTP_JSON_MAX_DEPTH', 'deep', /HTTP_JSON_MAX_DEPTH must be a number/],
  ])('refuses %s=%s at start, naming the variable', (name, value, problem) => {
    expect(() => load({ [name]: value })).toThrow(problem);
  });
});
