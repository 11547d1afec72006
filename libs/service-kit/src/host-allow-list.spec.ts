import { hostNameOf, hostRefusal } from './host-allow-list';

const allowed = ['127.0.0.1', 'localhost', '::1', 'billing.lab.example'];

describe('hostNameOf', () => {
  it('takes the host name of a Host header: port and IPv6 brackets removed, lower case', () => {
    expect(hostNameOf('Billing.Lab.Example:3004')).toBe('billing.lab.example');
    expect(hostNameOf('127.0.0.1')).toBe('127.0.0.1');
    expect(hostNameOf('[::1]:3004')).toBe('::1');
    expect(hostNameOf('[::1')).toBeUndefined();
    expect(hostNameOf('')).toBeUndefined();
    expect(hostNameOf(undefined)).toBeUndefined();
  });
});

describe('hostRefusal', () => {
  it('lets allowed hosts through, whatever the port', () => {
    expect(hostRefusal('billing.lab.example:443', '/charges', allowed)).toBeUndefined();
    expect(hostRefusal('localhost:3004', '/fhir/ChargeItem', allowed)).toBeUndefined();
    expect(hostRefusal('[::1]:3004', '/docs', allowed)).toBeUndefined();
  });

  it('answers 421 host_not_allowed to a forged Host or a missing one', () => {
    const refusal = hostRefusal('evil.example', '/fhir/ChargeItem', allowed);
    expect(refusal?.getStatus()).toBe(421);
    expect(refusal?.getResponse()).toEqual({ error: 'host_not_allowed', message: expect.stringContaining('"evil.example"') });
    expect(hostRefusal('billing.lab.example.evil.example', '/charges', allowed)?.getStatus()).toBe(421);
    expect(hostRefusal(undefined, '/charges', allowed)?.refusal.message).toBe('the request has no Host header');
  });

  it('answers the health probes and the metrics scrape whatever the Host (a kubelet sends the pod IP)', () => {
    expect(hostRefusal('10.244.1.17:3004', '/health/live', allowed)).toBeUndefined();
    expect(hostRefusal('10.244.1.17:3004', '/health/ready', allowed)).toBeUndefined();
    expect(hostRefusal('10.244.1.17:3004', '/metrics', allowed)).toBeUndefined();
    expect(hostRefusal('10.244.1.17:3004', '/healthz', allowed)?.getStatus()).toBe(421);
    expect(hostRefusal('10.244.1.17:3004', '/metrics/x', allowed)?.getStatus()).toBe(421);
  });
});
