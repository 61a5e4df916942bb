/**
 * Prints the top self-time functions and areas of a `.cpuprofile`:
 *
 *   npx tsx bench/cpuprofile.ts <file.cpuprofile> [top] [skip-ms]
 */
import { summariseProfile } from './lib/cpuProfile.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: tsx bench/cpuprofile.ts <file.cpuprofile> [top] [skip-ms]');
  process.exit(2);
}
const s = summariseProfile(file, Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 0));
console.log(`${file}: ${(s.wallMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy`);
console.log('\nself time by area');
for (const a of s.areas)
  console.log(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.ms.toFixed(0).padStart(7)} ms  ${a.name}`);
console.log('\nself time by function');
for (const f of s.functions)
  console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
