/**
 * Inputs a security reviewer sent (issue #7), shared by the services' HTTP hardening tests. Strings
 * with NUL or a lone surrogate need no helper: JSON.stringify (supertest's send) writes them as the
 * escapes "\u0000" and "\ud800" that the reviewer sent.
 */

/** JSON arrays nested `depth` deep ("[[[...]]]"), built without recursion. */
export function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** A correlation header longer than the 128 characters a service keeps. */
export const OVERSIZED_CORRELATION_ID = `c-${'x'.repeat(298)}`;
