/**
 * Work started at the same time: every piece settles before the caller goes on (nothing is left
 * writing to a database about to be dropped), and no failure is lost.
 */

/** Waits for every promise, then gives their values in order, or throws the first failure in order. */
export async function settleAll<T extends readonly unknown[] | []>(
  work: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  await Promise.allSettled(work);
  return Promise.all(work);
}

/** Work started in the background and awaited where it is needed; `finish` waits for all of it. */
export class Tasks {
  /** Each task's outcome, observed from the start: a failure waits for `finish` rather than going unhandled. */
  readonly #outcomes: Promise<PromiseSettledResult<unknown>[]>[] = [];

  /** Starts tracking `work` and returns it, to be awaited where its value is needed. */
  start<T>(work: Promise<T>): Promise<T> {
    this.#outcomes.push(Promise.allSettled([work]));
    return work;
  }

  /**
   * Waits for `main` and every task, runs `cleanUp`, then gives `main`'s value, or throws `main`'s
   * failure, else the first task's.
   */
  async finish<T>(main: Promise<T>, cleanUp: () => Promise<void>): Promise<T> {
    const [outcome] = await Promise.allSettled([main]);
    const tasks = (await Promise.all(this.#outcomes)).flat();
    await cleanUp();
    if (outcome.status === 'rejected') throw outcome.reason;
    const failed = tasks.find((t): t is PromiseRejectedResult => t.status === 'rejected');
    if (failed) throw failed.reason;
    return outcome.value;
  }
}
