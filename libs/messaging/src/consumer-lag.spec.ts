import { groupLag, partitionLag } from './consumer-lag';

describe('consumer lag', () => {
  it('is the log end offset minus the committed offset', () => {
    expect(partitionLag({ partition: 0, high: '120', low: '0' }, '100')).toBe(20);
  });

  it('counts a partition the group never committed on from the log start', () => {
    expect(partitionLag({ partition: 0, high: '120', low: '20' }, '-1')).toBe(100);
    expect(partitionLag({ partition: 0, high: '120', low: '20' }, undefined)).toBe(100);
  });

  it('is never negative', () => {
    expect(partitionLag({ partition: 0, high: '5', low: '0' }, '7')).toBe(0);
  });

  it('sums the partitions of every topic of the group', () => {
    const lag = groupLag(
      'billing',
      {
        'scan.events.v1': [
          { partition: 0, high: '10', low: '0' },
          { partition: 1, high: '4', low: '0' },
        ],
        'qc.results.v1': [{ partition: 0, high: '3', low: '0' }],
      },
      { 'scan.events.v1': [{ partition: 0, offset: '8' }, { partition: 1, offset: '4' }] },
    );
    expect(lag).toEqual({ group: 'billing', lag: 5, byTopic: { 'scan.events.v1': 2, 'qc.results.v1': 3 } });
  });
});
