/**
 * The one number parser for the environment: a whole number, `_` allowed between digits
 * (`100_000`), surrounding space ignored; undefined when it is anything else.
 */
export function parseWholeNumber(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^-?\d+(?:_\d+)*$/.test(text)) return undefined;
  const n = Number(text.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}
