/**
 * A numeric knob of `npm run bench` or `npm run soak` (BENCH_SECONDS, SOAK_SECONDS…): its value,
 * or `def` when unset; a value that is not a number of at least `min` stops the run (exit 2).
 */
export function envNumber(name: string, def: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`${name}=${raw} is not valid: expected a number of at least ${min}`);
    process.exit(2);
  }
  return n;
}
