import type { AttemptResult } from './delivery.repository';
import { OutcomeRecorder } from './outcome-recorder';

/** Stand-ins for attempt results: the recorder only passes them on, so an id is all a test needs to follow them. */
const result = (id: string) => ({ delivery: { id } }) as unknown as AttemptResult;
const ids = (results: AttemptResult[]) => results.map((r) => r.delivery.id);

/** A write the test finishes by hand, to see what the recorder does while one is under way. */
function controlledWrites() {
  const calls: { ids: string[]; finish: (error?: Error) => void }[] = [];
  const write = (results: AttemptResult[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ ids: ids(results), finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, write };
}

describe('OutcomeRecorder', () => {
  it('writes the first outcome at once, and every outcome that came in meanwhile in the next single write', async () => {
    const { calls, write } = controlledWrites();
    const recorder = new OutcomeRecorder(write);
    recorder.add(result('a'));
    recorder.add(result('b'));
    recorder.add(result('c'));
    expect(calls.map((c) => c.ids)).toEqual([['a']]);
    calls[0]?.finish();
    await new Promise(setImmediate); // the write's promise chain settles
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b', 'c']]);
    const flushed = recorder.flush();
    calls[1]?.finish();
    await expect(flushed).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('flush() throws the failed write\'s error and writes nothing after it', async () => {
    const { calls, write } = controlledWrites();
    const recorder = new OutcomeRecorder(write);
    recorder.add(result('a'));
    recorder.add(result('b'));
    const flushed = recorder.flush();
    calls[0]?.finish(new Error('the database went away'));
    await expect(flushed).rejects.toThrow('the database went away');
    recorder.add(result('c'));
    expect(calls.map((c) => c.ids)).toEqual([['a']]);
  });

  it('flush() with nothing added resolves without a write', async () => {
    const { calls, write } = controlledWrites();
    await expect(new OutcomeRecorder(write).flush()).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });
});
