import type { Catalog } from './catalog';
import type { PlannedStatement } from './plan';

/**
 * Orders statements so PostgreSQL accepts them, from the dependency graphs of both databases:
 * - an object's dependents in `from` are removed before it is removed (drop the view, then its table);
 * - in `to`, what an object depends on is produced before it (create the type, then the table using it),
 *   unless the same statement produces both;
 * - an object is removed before it is produced again (drop, then create, for a recreation), and so are
 *   its removed parts (drop a column's default, then change its type);
 * - what depended on an object in `from` and goes away is removed before the object changes
 *   (drop the view before altering the type of a column it reads);
 * - an object altered away from a dependency is altered before that dependency is removed
 *   (drop a column default before dropping its sequence), and so is a removed part of an object
 *   (`col:...#default`: the default dropped before the function it calls is dropped and recreated).
 * Among the statements whose dependencies are met, the lowest step, then phase, then the earliest emitted, goes first,
 * so the result is deterministic. A dependency cycle (rare; PostgreSQL itself would need a split statement)
 * is broken by taking the lowest-phase remaining statement.
 * Then steps (plan.ts Step): a statement runs in the step it was given, or in the step of what it must follow
 * when that is later, or in the step after those whose commit it needs (`needsCommitted`); the statements are
 * listed step by step, each step in the order above.
 */
export function orderStatements(
  statements: readonly PlannedStatement[],
  from: Catalog,
  to: Catalog,
  extraDependsOn: ReadonlyMap<string, readonly string[]> = new Map(),
): PlannedStatement[] {
  const producers = new Map<string, number[]>();
  const removers = new Map<string, number[]>();
  // Statements removing a part of an object (`col:...#default`): the object stays, its old part's
  // dependencies go, so what that part depended on is removed after it.
  const partRemovers = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  statements.forEach((s, i) => {
    for (const k of s.produces) push(producers, k, i);
    for (const k of s.removes) {
      push(removers, k, i);
      if (k.includes('#')) push(partRemovers, k.slice(0, k.indexOf('#')), i);
    }
  });

  const successors: number[][] = statements.map(() => []);
  const indegree = new Array<number>(statements.length).fill(0);
  const seen = new Set<string>();
  const edge = (before: number, after: number) => {
    if (before === after) return;
    const id = before + ',' + after;
    if (seen.has(id)) return;
    seen.add(id);
    successors[before]!.push(after);
    indegree[after]!++;
  };
  const each = (map: Map<string, number[]>, key: string, fn: (i: number) => void) => {
    const list = map.get(key);
    if (list) for (const i of list) fn(i);
  };
  const none: ReadonlySet<string> = new Set();

  statements.forEach((s, j) => {
    const own = new Set(s.produces);
    for (const x of s.produces) {
      const toDeps = to.dependsOn.get(x) ?? none;
      // A dependency the statement establishes itself (CREATE TABLE makes the table its columns' defaults
      // hang on) is met by it: other statements producing that key alter it and come after, not before.
      for (const y of toDeps) if (!own.has(y)) each(producers, y, (i) => edge(i, j));
      for (const y of extraDependsOn.get(x) ?? []) if (!own.has(y)) each(producers, y, (i) => edge(i, j));
      each(removers, x, (i) => edge(i, j));
      each(partRemovers, x, (i) => edge(i, j));
      for (const v of from.dependents.get(x) ?? none) each(removers, v, (i) => edge(i, j));
      // Only an object altered in place (never removed here) must move off a dependency before it goes.
      if (!removers.has(x)) {
        for (const y of from.dependsOn.get(x) ?? none) {
          if (!toDeps.has(y)) each(removers, y, (i) => edge(j, i));
        }
      }
    }
    for (const x of s.removes) {
      for (const v of from.dependents.get(x) ?? none) {
        each(removers, v, (i) => edge(i, j));
        each(partRemovers, v, (i) => edge(i, j));
      }
    }
    for (const k of s.needs) each(producers, k, (i) => edge(i, j));
    for (const k of s.needsRemoved) each(removers, k, (i) => edge(i, j));
  });

  statements.forEach((s, j) => {
    for (const k of s.needsCommitted) each(producers, k, (i) => edge(i, j));
  });

  // The step a statement was given first: the statements of a later step wait for those of the earlier ones
  // that are ready, so that each step keeps the phase order among its own statements.
  const planned = withBlockingFallbacks(statements, successors);
  const rank = (i: number) => planned[i]!.step * 1e9 + planned[i]!.phase * 1e7 + i;
  const heap = new MinHeap(rank);
  for (let i = 0; i < statements.length; i++) if (indegree[i] === 0) heap.push(i);
  const done = new Array<boolean>(statements.length).fill(false);
  const out: number[] = [];
  while (out.length < statements.length) {
    let next = heap.pop();
    if (next === undefined) {
      // A cycle: release the lowest-ranked statement still waiting.
      let best = -1;
      for (let i = 0; i < statements.length; i++) if (!done[i] && (best < 0 || rank(i) < rank(best))) best = i;
      next = best;
    } else if (done[next]) {
      continue;
    }
    done[next] = true;
    out.push(next);
    for (const k of successors[next]!) {
      indegree[k]!--;
      if (indegree[k] === 0 && !done[k]) heap.push(k);
    }
  }
  return inSteps(planned, out, successors, producers);
}

/** A non-blocking statement that an ordinary statement of an earlier step must follow takes its plain form (PlannedStatement.blocking). */
function withBlockingFallbacks(
  statements: readonly PlannedStatement[],
  successors: readonly number[][],
): PlannedStatement[] {
  return statements.map((s, i) => {
    if (!s.blocking || !successors[i]!.some((j) => statements[j]!.step < s.step && !statements[j]!.note)) return s;
    const { blocking, note: _note, ...rest } = s;
    return { ...rest, ...blocking };
  });
}

/** Each statement's step, from the ordered list (one pass: what a statement follows comes before it), then the list step by step. */
function inSteps(
  statements: readonly PlannedStatement[],
  order: readonly number[],
  successors: readonly number[][],
  producers: ReadonlyMap<string, number[]>,
): PlannedStatement[] {
  const step = statements.map((s) => s.step);
  const committedBy = statements.map((s) => new Set(s.needsCommitted.flatMap((k) => producers.get(k) ?? [])));
  const position = new Map(order.map((i, at) => [i, at]));
  for (const i of order) {
    for (const j of successors[i]!) {
      // A cycle broken above leaves an edge pointing backwards: it cannot order steps.
      if (position.get(j)! < position.get(i)!) continue;
      step[j] = Math.max(step[j]!, step[i]! + (committedBy[j]!.has(i) ? 1 : 0));
    }
  }
  const sorted = order.map((i, at) => ({ i, at })).sort((x, y) => step[x.i]! - step[y.i]! || x.at - y.at);
  return sorted.map(({ i }) =>
    step[i] === statements[i]!.step ? statements[i]! : { ...statements[i]!, step: step[i]! },
  );
}

class MinHeap {
  private readonly items: number[] = [];
  constructor(private readonly rank: (i: number) => number) {}

  push(item: number): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.rank(items[parent]!) <= this.rank(items[i]!)) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.rank(items[l]!) < this.rank(items[smallest]!)) smallest = l;
        if (r < items.length && this.rank(items[r]!) < this.rank(items[smallest]!)) smallest = r;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
