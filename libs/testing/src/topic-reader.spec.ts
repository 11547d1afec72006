import { eventually } from './topic-reader';

describe('eventually', () => {
  it('returns the first defined value the probe gives', async () => {
    let calls = 0;
    const value = await eventually(async () => (++calls >= 3 ? 'ready' : undefined), 2000);
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('fails with what it waited for and the last error', async () => {
    await expect(
      eventually(
        async () => {
          throw new Error('not yet');
        },
        250,
        'the charge',
      ),
    ).rejects.toThrow('timed out waiting for the charge: not yet');
  });
});
