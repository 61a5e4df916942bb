/**
 * Reading Braze's loosely typed JSON: each helper takes one value of an answer and returns it in
 * the shape the schema wants, or null (or an empty list) when Braze sent something else. One
 * owner for every domain that maps answers (users, catalog, messaging).
 */

export type Obj = Record<string, unknown>;

/** A string; with `numbers`, a number is shown as one too (ids Braze sometimes sends as numbers). */
export const str = (v: unknown, opts: { numbers?: boolean } = {}): string | null =>
  typeof v === 'string' ? v : opts.numbers === true && typeof v === 'number' ? String(v) : null;
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
export const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
export const obj = (v: unknown): Obj | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null;
/** The objects of a list (other entries dropped). */
export const objects = (v: unknown): Obj[] =>
  Array.isArray(v) ? v.map(obj).filter((o): o is Obj => o !== null) : [];
/** The strings of a list (other entries dropped). */
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** A timestamp (ISO string or epoch number); null when it does not parse. */
export function toDate(v: unknown): Date | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
