import { isLoopback, parseEndpoint, parseFaultProxyArgs, parseFaultRequest } from './fault-proxy-control';

describe('parseFaultRequest (POST /faults of the fault proxy)', () => {
  it('reads each kind of fault; jitter defaults to none', () => {
    expect(parseFaultRequest('{"kind":"latency","ms":200}')).toEqual({ ok: true, fault: { kind: 'latency', ms: 200, jitterMs: 0 } });
    expect(parseFaultRequest('{"kind":"latency","ms":200,"jitterMs":50}')).toEqual({ ok: true, fault: { kind: 'latency', ms: 200, jitterMs: 50 } });
    for (const kind of ['reset', 'blackhole', 'refuse', 'restore', 'clear']) {
      expect(parseFaultRequest(JSON.stringify({ kind }))).toEqual({ ok: true, fault: { kind } });
    }
  });

  it('names what is wrong: not JSON, an unknown kind, a bad or missing delay, an extra field', () => {
    expect(parseFaultRequest('latency')).toEqual({ ok: false, problems: ['the body is not JSON'] });
    expect(parseFaultRequest('{"kind":"partition"}')).toEqual({ ok: false, problems: ['kind: must be one of latency, reset, blackhole, refuse, restore, clear'] });
    expect(parseFaultRequest('{"kind":"latency"}')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^ms: /)] });
    expect(parseFaultRequest('{"kind":"latency","ms":-1}')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^ms: /)] });
    expect(parseFaultRequest('{"kind":"latency","ms":1.5}')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^ms: /)] });
    expect(parseFaultRequest('{"kind":"latency","ms":600001}')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^ms: /)] });
    expect(parseFaultRequest('{"kind":"reset","ms":5}')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^body: .*ms/)] });
  });
});

describe('parseEndpoint and isLoopback', () => {
  it('reads host:port, an IPv6 host in brackets', () => {
    expect(parseEndpoint('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseEndpoint('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseEndpoint('localhost:65536')).toBeUndefined();
    expect(parseEndpoint('127.0.0.1')).toBeUndefined();
    expect(parseEndpoint(':9092')).toBeUndefined();
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.org'].some(isLoopback)).toBe(false);
  });
});

describe('parseFaultProxyArgs (scripts/fault-proxy.ts)', () => {
  it('reads the flags; the control defaults to a free loopback port', () => {
    expect(parseFaultProxyArgs(['--name', 'kafka', '--listen', '127.0.0.1:19094', '--upstream', '127.0.0.1:19095'])).toEqual({
      ok: true,
      options: { name: 'kafka', listen: { host: '127.0.0.1', port: 19094 }, upstream: { host: '127.0.0.1', port: 19095 }, control: { host: '127.0.0.1', port: 0 } },
    });
  });

  it('listens and is controlled on loopback only, and names each problem', () => {
    const parsed = parseFaultProxyArgs(['--listen', '0.0.0.0:5432', '--upstream', 'db', '--control', '10.1.1.1:80', '--verbose', 'yes']);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        'unknown argument --verbose',
        '--name is required',
        '--upstream must be host:port, got db',
        '--listen must be a loopback address (a test tool), got 0.0.0.0',
        '--control must be a loopback address (a test tool), got 10.1.1.1',
      ],
    });
    expect(parseFaultProxyArgs(['--name'])).toEqual({ ok: false, problems: ['--name needs a value', '--name is required', '--listen is required', '--upstream is required'] });
  });
});
