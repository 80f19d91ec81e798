/**
 * Runs an async function over items with at most `limit` in flight, keeping results in input order;
 * with `group`, also at most `group.limit` in flight among items of one key (targets on one server),
 * starting the next item whose key has room, so one busy server never holds back the others.
 * The function must not throw (fleet work returns per-target results); if it does, nothing new starts
 * and the error is rethrown after every started item has settled, so nothing keeps running unobserved.
 */
export interface GroupLimit<T> {
  readonly keyOf: (item: T) => string;
  readonly limit: number;
}

export function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  group?: GroupLimit<T>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const waiting = items.map((_, index) => index);
  const inFlight = new Map<string, number>();
  const total = Math.max(1, Math.floor(limit));
  const perKey = group ? Math.max(1, Math.floor(group.limit)) : Infinity;
  let running = 0;
  let failure: { error: unknown } | undefined;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      for (let i = 0; !failure && i < waiting.length && running < total; ) {
        const index = waiting[i]!;
        const key = group ? group.keyOf(items[index]!) : '';
        if ((inFlight.get(key) ?? 0) >= perKey) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        running++;
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        fn(items[index]!, index)
          .then(
            (result) => void (results[index] = result),
            (error: unknown) => void (failure ??= { error }),
          )
          .finally(() => {
            running--;
            inFlight.set(key, inFlight.get(key)! - 1);
            pump();
          });
      }
      if (running > 0) return;
      if (failure) reject(failure.error);
      else if (waiting.length === 0) resolve(results);
    };
    pump();
  });
}
