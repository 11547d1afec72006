import { deliverSplitting } from './outbox-batch';

const TOO_LARGE = new Error('MESSAGE_TOO_LARGE');
const DOWN = new Error('broker down');
const refusal = (e: unknown) => (e === TOO_LARGE ? 'MESSAGE_TOO_LARGE' : undefined);

/** A broker that refuses any batch holding one of `refused`, and fails with DOWN when `down` says so. */
function broker(refused: string[], down: (batch: readonly string[]) => boolean = () => false) {
  const sent: string[][] = [];
  const send = async (batch: readonly string[]) => {
    if (down(batch)) throw DOWN;
    if (batch.some((r) => refused.includes(r))) throw TOO_LARGE;
    sent.push([...batch]);
  };
  return { sent, send };
}

describe('deliverSplitting', () => {
  it('sends a batch the broker takes as one', async () => {
    const b = broker([]);
    const outcome = await deliverSplitting(['a', 'b', 'c'], b.send, refusal);
    expect(outcome).toEqual({ published: ['a', 'b', 'c'], parked: [] });
    expect(b.sent).toEqual([['a', 'b', 'c']]);
  });

  it('splits a refused batch down to the culprit, parks it and sends the rest in order', async () => {
    const b = broker(['e']);
    const outcome = await deliverSplitting(['a', 'b', 'c', 'd', 'e', 'f', 'g'], b.send, refusal);
    expect(outcome.published).toEqual(['a', 'b', 'c', 'd', 'f', 'g']);
    expect(outcome.parked).toEqual([{ record: 'e', refusal: 'MESSAGE_TOO_LARGE' }]);
    expect(outcome.failed).toBeUndefined();
    expect(b.sent.flat()).toEqual(['a', 'b', 'c', 'd', 'f', 'g']);
  });

  it('parks every refused record of a batch', async () => {
    const outcome = await deliverSplitting(['a', 'b', 'c'], broker(['a', 'c']).send, refusal);
    expect(outcome.published).toEqual(['b']);
    expect(outcome.parked.map((p) => p.record)).toEqual(['a', 'c']);
  });

  it('stops at an error worth retrying and hands back what was not sent, in order', async () => {
    const b = broker(['b'], (batch) => batch[0] === 'c');
    const outcome = await deliverSplitting(['a', 'b', 'c', 'd'], b.send, refusal);
    expect(outcome.published).toEqual(['a']);
    expect(outcome.parked.map((p) => p.record)).toEqual(['b']);
    expect(outcome.failed).toEqual({ records: ['c', 'd'], error: DOWN });
  });

  it('does nothing with nothing', async () => {
    expect(await deliverSplitting([], broker([]).send, refusal)).toEqual({ published: [], parked: [] });
  });
});
