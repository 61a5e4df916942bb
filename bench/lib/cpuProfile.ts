/**
 * Summaries of a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function and
 * per area of the code (a package, a directory of src/, node internals, GC), idle time excluded.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  /** Milliseconds of self time. */
  ms: number;
  /** Share of the busy (non-idle) time, 0–100. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time covered by the profile, ms. */
  wallMs: number;
  /** Time the thread was not idle, ms. */
  busyMs: number;
  /** The `top` functions by self time. */
  functions: SelfTime[];
  /** Every area, by self time. */
  areas: SelfTime[];
}

/** Where a function's code lives: `graphql`, `@apollo/server`, `src/delivery`, `node:internal/http`… */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'V8 builtins, native calls';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return `node:${parts.slice(0, parts[0] === 'internal' ? 2 : 1).join('/')}`.replace(/\.js$/, '');
  }
  const m = /\/(src|resolvers|bench)\/([^/]+)/.exec(url);
  if (m !== null) {
    const dirOrFile = m[2]!.replace(/\.[jt]s$/, '');
    return m[1] === 'src' ? `src/${dirOrFile}` : `${m[1]}/${dirOrFile}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const m = /\/((?:src|resolvers|bench)\/.*)$/.exec(url);
  return m !== null ? m[1]! : url.replace(/^file:\/\//, '');
}

/**
 * Self time per function and per area. `skipMs` leaves out the profile's first milliseconds
 * (start-up and warm-up, when the profile began with the process).
 */
export function summariseProfile(file: string, top = 15, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n] as const));
  const selfUs = new Map<number, number>();
  if (profile.samples !== undefined && profile.timeDeltas !== undefined) {
    // timeDeltas[i] is the time from sample i-1 to sample i; sample i is charged until sample i+1.
    let at = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (at < skipMs * 1000) continue;
      const id = profile.samples[i]!;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
    }
  } else {
    const interval =
      (profile.endTime - profile.startTime) / profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const where = shortUrl(url);
    // TypeScript run through tsx has no useful line numbers: name the file only.
    const line = /^(src|resolvers|bench)\//.test(where) ? '' : `:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where === '' ? '' : ` ${where}${line}`}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busyUs === 0 ? 0 : (100 * us) / busyUs }));
  return {
    file,
    wallMs: Math.max(0, (profile.endTime - profile.startTime) / 1000 - skipMs),
    busyMs: busyUs / 1000,
    functions: rank(fns, top),
    areas: rank(areas, Number.POSITIVE_INFINITY),
  };
}
