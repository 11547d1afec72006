import { carries, nextOverviewDelay, sseFrame, SSE_HEARTBEAT, tokenExpiry } from './sse';

const token = (payload: object) => `Bearer x.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

describe('the live stream', () => {
  it('writes an event as a name and one data line', () => {
    const frame = sseFrame({ event: 'lag', data: { measure: 'scan-to-charge', window: '1h', bucketSeconds: 60, points: [] } });
    expect(frame).toBe('event: lag\ndata: {"measure":"scan-to-charge","window":"1h","bucketSeconds":60,"points":[]}\n\n');
    expect(SSE_HEARTBEAT.startsWith(':')).toBe(true);
  });

  it('never carries charge activity on the wall view', () => {
    expect(carries('wall', 'activity')).toBe(false);
    expect(carries('wall', 'overview')).toBe(true);
    expect(carries('full', 'activity')).toBe(true);
  });

  it("reads the token's expiry", () => {
    expect(tokenExpiry(token({ exp: 1_800_000_000 }))?.toISOString()).toBe(new Date(1_800_000_000_000).toISOString());
    expect(tokenExpiry(token({}))).toBeNull();
    expect(tokenExpiry('Basic abc')).toBeNull();
    expect(tokenExpiry(undefined)).toBeNull();
  });

  it('sends an overview at most every 2 s', () => {
    expect(nextOverviewDelay(10_000, 13_000, 2000)).toBe(0);
    expect(nextOverviewDelay(10_000, 10_500, 2000)).toBe(1500);
  });
});
