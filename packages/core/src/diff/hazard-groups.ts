/**
 * Hazards grouped by code for a person to read: a 400-table change may carry 60 hazards, one line each
 * is more than anyone reads. Each group counts its hazards and names the objects they concern;
 * `--verbose` and the JSON outputs keep every hazard.
 */

/** One hazard to group: its code, the object it concerns when known, its message and its own line. */
export interface HazardItem {
  readonly code: string;
  readonly object?: string;
  readonly message: string;
  /** The hazard's full line, printed as it is when it is alone of its code. */
  readonly line: string;
}

export interface HazardGroup {
  readonly code: string;
  readonly items: readonly HazardItem[];
  /** The objects of the group, each once, in order. */
  readonly objects: readonly string[];
}

/** Groups by code, in the order each code first appears. */
export function groupHazards(items: readonly HazardItem[]): HazardGroup[] {
  const groups = new Map<string, HazardItem[]>();
  for (const item of items) {
    const group = groups.get(item.code);
    if (group) group.push(item);
    else groups.set(item.code, [item]);
  }
  return [...groups].map(([code, members]) => ({
    code,
    items: members,
    objects: [...new Set(members.flatMap((m) => (m.object ? [m.object] : [])))],
  }));
}

/** How many objects a group line names before `… +N`. */
export const HAZARD_OBJECTS_SHOWN = 3;

/**
 * One line per group: a group of one is that hazard's own line; a larger one reads
 * `rewrites-table: 12 statements (public.a, public.b, public.c, … +9)`, or, when the hazards name no
 * object, `rewrites-table: 2 statements, e.g. <the first one's message>`.
 */
export function describeHazardGroups(items: readonly HazardItem[], noun: string): string[] {
  return groupHazards(items).map((group) => {
    if (group.items.length === 1) return group.items[0]!.line;
    const shown = group.objects.slice(0, HAZARD_OBJECTS_SHOWN);
    const more = group.objects.length - shown.length;
    const objects =
      shown.length > 0
        ? ` (${shown.join(', ')}${more > 0 ? `, … +${more}` : ''})`
        : `, e.g. ${group.items[0]!.message}`;
    return `${group.code}: ${group.items.length} ${noun}s${objects}`;
  });
}
