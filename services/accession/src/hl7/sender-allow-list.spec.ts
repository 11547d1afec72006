import { normalizeAddress, SenderAllowList } from './sender-allow-list';

const FP = 'AB:'.repeat(31) + 'CD';
const list = SenderAllowList.parse(
  JSON.stringify({
    senders: [
      { name: 'Beaker', certificate: { subjectCN: 'beaker.lab.example.org' }, sendingApplications: ['BEAKER'], sendingFacilities: ['PATHLAB'] },
      { name: 'Pinned', certificate: { subjectCN: 'pinned', sha256: FP }, sendingApplications: ['PINNED'], sendingFacilities: ['LAB'] },
      { name: 'Engine', peers: ['10.20.0.0/24', '2001:db8::/32', '192.0.2.7'], sendingApplications: ['LIS', 'LIS^2.16.840.1^ISO'], sendingFacilities: ['LAB', ''] },
      { name: 'Engine via TLS', certificate: { subjectCN: 'engine' }, peers: ['10.30.0.5'], sendingApplications: ['ENGINE'], sendingFacilities: ['LAB'] },
    ],
  }),
  'senders.json',
);
const beaker = { address: '10.99.0.1', certificate: { subjectCN: 'beaker.lab.example.org', sha256: 'EF'.repeat(32) } };

describe('which connection matches which entry', () => {
  it('by certificate subject CN, by CN and pinned fingerprint, by address or CIDR (IPv4, IPv6, IPv4-mapped), by both', () => {
    expect(list.entriesFor(beaker).map((e) => e.name)).toEqual(['Beaker']);
    expect(list.entriesFor({ certificate: { subjectCN: 'pinned', sha256: FP.replace(/:/g, '') } }).map((e) => e.name)).toEqual(['Pinned']);
    expect(list.entriesFor({ certificate: { subjectCN: 'pinned', sha256: 'EF'.repeat(32) } })).toEqual([]);
    expect(list.entriesFor({ address: '10.20.0.77' }).map((e) => e.name)).toEqual(['Engine']);
    expect(list.entriesFor({ address: '::ffff:10.20.0.77' }).map((e) => e.name)).toEqual(['Engine']);
    expect(list.entriesFor({ address: '2001:db8::1' }).map((e) => e.name)).toEqual(['Engine']);
    expect(list.entriesFor({ address: '192.0.2.7' }).map((e) => e.name)).toEqual(['Engine']);
    expect(list.entriesFor({ address: '192.0.2.8' })).toEqual([]);
    expect(list.entriesFor({ address: '10.30.0.5' })).toEqual([]);
    expect(list.entriesFor({ address: '10.30.0.5', certificate: { subjectCN: 'engine', sha256: 'EF'.repeat(32) } }).map((e) => e.name)).toEqual(['Engine via TLS']);
    expect(list.entriesFor({})).toEqual([]);
  });
});

describe('verdict: the MSH-3/MSH-4 a connection may use', () => {
  it('allowed: an application and a facility of a matching entry (compared as sent, all components; "" = empty MSH-4)', () => {
    expect(list.verdict(beaker, 'BEAKER', 'PATHLAB')).toEqual({ allowed: true });
    expect(list.verdict({ address: '10.20.0.1' }, 'LIS^2.16.840.1^ISO', '')).toEqual({ allowed: true });
  });

  it("another entry's sender (spoofing): AR code 204 at MSH-3; an allowed application with another facility: 204 at MSH-4", () => {
    expect(list.verdict(beaker, 'LIS', 'LAB')).toEqual({
      allowed: false,
      error: { segment: 'MSH', sequence: 1, field: 3, code: '204', message: 'MSH-3 sending application LIS is not allowed on this connection' },
    });
    expect(list.verdict(beaker, 'BEAKER', 'OTHERLAB')).toEqual({
      allowed: false,
      error: { segment: 'MSH', sequence: 1, field: 4, code: '204', message: 'MSH-4 sending facility OTHERLAB is not allowed for BEAKER on this connection' },
    });
    expect(list.verdict({}, '', '')).toMatchObject({ allowed: false, error: { field: 3, message: 'MSH-3 sending application (empty) is not allowed on this connection' } });
  });

  it('usesCertificates says whether client certificates must be asked for', () => {
    expect(list.usesCertificates).toBe(true);
    expect(SenderAllowList.parse('{"senders":[{"name":"a","peers":["127.0.0.1"],"sendingApplications":["A"],"sendingFacilities":["B"]}]}', 'f').usesCertificates).toBe(false);
  });
});

describe('the file is checked at start', () => {
  const problems = (text: string) => {
    try {
      SenderAllowList.parse(text, 'senders.json');
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('names each problem by its place in the file', () => {
    expect(problems('{')).toMatch(/^senders.json is not JSON/);
    expect(problems('{"senders":[]}')).toContain('senders: list at least one sender');
    const text = problems(
      JSON.stringify({
        senders: [
          { name: 'x', sendingApplications: ['A'], sendingFacilities: ['B'] },
          { name: 'y', peers: ['10.0.0.0/33', 'lis.example.org'], sendingApplications: [], sendingFacilities: ['B\u0000'] },
          { name: 'z', certificate: {}, sendingApplications: ['A'], sendingFacilities: ['B'], extra: 1 },
          { name: 'w', certificate: { sha256: 'abc' }, sendingApplications: ['A'.repeat(228)], sendingFacilities: ['B'] },
        ],
      }),
    );
    expect(text).toContain('senders.0: needs a certificate, peers or both');
    expect(text).toContain('senders.1.peers.0: an IPv4 or IPv6 address, or a CIDR block');
    expect(text).toContain('senders.1.peers.1: an IPv4 or IPv6 address');
    expect(text).toContain('senders.1.sendingApplications: list at least one MSH-3');
    expect(text).toContain('senders.1.sendingFacilities.0: may not contain control characters');
    expect(text).toContain('senders.2.certificate: needs subjectCN, sha256 or both');
    expect(text).toContain('senders.2: Unrecognized key: "extra"');
    expect(text).toContain('senders.3.certificate.sha256: a SHA-256 fingerprint');
    expect(text).toContain('senders.3.sendingApplications.0: at most 227 characters');
  });

  it('normalizeAddress drops the IPv4-mapped prefix only', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('10.0.0.1')).toBe('10.0.0.1');
  });
});
