import { PeriodicTask } from './periodic-task';

/** A task the test finishes by hand, counting its runs. */
function controlledTask() {
  const finishes: ((error?: Error) => void)[] = [];
  const task = () =>
    new Promise<void>((resolve, reject) => {
      finishes.push((error) => (error ? reject(error) : resolve()));
    });
  return { finishes, task };
}

const settle = () => new Promise(setImmediate);

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('runs at start, then every interval, never two runs at once', async () => {
    const { finishes, task } = controlledTask();
    const periodic = new PeriodicTask(task, 1_000, () => undefined);
    periodic.start();
    expect(finishes).toHaveLength(1);
    jest.advanceTimersByTime(3_000); // the first run is still under way: no second one
    expect(finishes).toHaveLength(1);
    finishes[0]?.();
    await settle();
    jest.advanceTimersByTime(1_000);
    expect(finishes).toHaveLength(2);
    finishes[1]?.();
    const stopped = periodic.stop();
    await expect(stopped).resolves.toBeUndefined();
    jest.advanceTimersByTime(10_000);
    expect(finishes).toHaveLength(2);
  });

  it('hands a failed run to onError and runs again at the next interval', async () => {
    const { finishes, task } = controlledTask();
    const errors: unknown[] = [];
    const periodic = new PeriodicTask(task, 1_000, (e) => errors.push(e));
    periodic.start();
    finishes[0]?.(new Error('database down'));
    await settle();
    expect(errors).toEqual([new Error('database down')]);
    jest.advanceTimersByTime(1_000);
    expect(finishes).toHaveLength(2);
    finishes[1]?.();
    await periodic.stop();
  });

  it('with firstRunAfterMs, the first run waits for it; stop() before then means no run at all', async () => {
    const { finishes, task } = controlledTask();
    const periodic = new PeriodicTask(task, 10_000, () => undefined, 1_000);
    periodic.start();
    expect(finishes).toHaveLength(0);
    jest.advanceTimersByTime(1_000);
    expect(finishes).toHaveLength(1);
    finishes[0]?.();
    await periodic.stop();
    const unstarted = controlledTask();
    const stoppedEarly = new PeriodicTask(unstarted.task, 10_000, () => undefined, 1_000);
    stoppedEarly.start();
    await stoppedEarly.stop();
    jest.advanceTimersByTime(20_000);
    expect(unstarted.finishes).toHaveLength(0);
  });

  it('stop() waits for the run under way', async () => {
    const { finishes, task } = controlledTask();
    const periodic = new PeriodicTask(task, 1_000, () => undefined);
    periodic.start();
    let stopped = false;
    const stopping = periodic.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    finishes[0]?.();
    await stopping;
    expect(stopped).toBe(true);
  });
});
