/**
 * Work started at once (verify's checks, create's two builds): everything settles before the cleanup
 * drops the databases it writes to, and a failure is thrown, never lost. No database needed.
 */
import { settleAll, Tasks } from '../src/settle';

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (one turn of the event loop, no clock). */
const drain = () => new Promise((resolve) => setImmediate(resolve));

describe('Tasks.finish', () => {
  it('cleans up only once every task settled, then throws the failure of a task nobody awaited', async () => {
    const tasks = new Tasks();
    const slow = deferred<string>();
    tasks.start(Promise.reject(new Error('a bug in a background task')));
    tasks.start(slow.promise);
    const cleanedUp: string[] = [];
    const finished = tasks.finish(Promise.resolve('checks'), async () => {
      cleanedUp.push('dropped');
    });
    await drain();
    expect(cleanedUp).toEqual([]);
    slow.resolve('done');
    await expect(finished).rejects.toThrow('a bug in a background task');
    expect(cleanedUp).toEqual(['dropped']);
  });

  it("gives the main work's value when every task succeeded, and throws the main work's failure first", async () => {
    const ok = new Tasks();
    const value = ok.start(Promise.resolve(42));
    await expect(ok.finish(Promise.resolve('checks'), async () => undefined)).resolves.toBe('checks');
    await expect(value).resolves.toBe(42);

    const both = new Tasks();
    both.start(Promise.reject(new Error('task')));
    await expect(both.finish(Promise.reject(new Error('main')), async () => undefined)).rejects.toThrow('main');
  });
});

describe('settleAll', () => {
  it('waits for the slow work before throwing the first failure, and gives the values in order', async () => {
    const slow = deferred<number>();
    let settled = false;
    const all = settleAll([Promise.reject(new Error('first')), slow.promise]).finally(() => {
      settled = true;
    });
    await drain();
    expect(settled).toBe(false);
    slow.resolve(1);
    await expect(all).rejects.toThrow('first');
    await expect(settleAll([Promise.resolve('a'), Promise.resolve(2)])).resolves.toEqual(['a', 2]);
  });
});
