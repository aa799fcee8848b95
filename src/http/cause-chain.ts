/**
 * How far `cause` is followed. Libraries that wrap an SDK call (LangChain and others) put the HTTP
 * error in `error.cause`, sometimes a wrapper or two deep; five links cover that with room to spare
 * while bounding the work on an error built to be deep.
 */
export const MAX_CAUSE_DEPTH = 5;

/**
 * The first value `read` finds on the error or on the errors it wraps through `cause`, nearest
 * first, so a wrapper's own status or header wins over its cause's. The depth bound also ends a
 * cyclic chain (`a.cause = b; b.cause = a`), so no set of visited errors is kept. A `cause` getter
 * that throws is not caught here: the caller decides what an unreadable error means.
 */
export function findInCauseChain<T>(error: unknown, read: (link: object) => T | undefined): T | undefined {
  let link = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && link !== null && typeof link === 'object'; depth++) {
    const found = read(link);
    if (found !== undefined) return found;
    link = (link as { cause?: unknown }).cause;
  }
  return undefined;
}
