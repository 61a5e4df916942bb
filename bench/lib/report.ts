/**
 * The written results: a console table, docs/benchmarks.md, docs/benchmarks.svg and
 * docs/benchmarks.json, all from one BenchReport.
 */
import { groupedBarChart } from './chart.js';
import type { BenchReport, Measurement, TargetCheck, TargetId } from './types.js';

export const COLORS: Record<TargetId | 'replicas', string> = {
  gateway: '#1f77b4',
  gatewayTsx: '#6baed6',
  unbatched: '#9ecae1',
  peer: '#d62728',
  bare: '#2ca02c',
  constant: '#7f7f7f',
  replicas: '#9467bd',
};

const DASH = '—';

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

export function num(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return n.toFixed(digits);
}

/** A latency difference in ms, with its sign. */
export function signedMs(n: number): string {
  if (!Number.isFinite(n)) return DASH;
  return `${n >= 0 ? '+' : '−'}${millis(Math.abs(n))} ms`;
}

function millis(n: number): string {
  if (!Number.isFinite(n)) return DASH;
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

interface Column {
  title: string;
  cell: (m: Measurement) => string;
}

const COLUMNS: Column[] = [
  { title: 'GraphQL req/s', cell: (m) => int(m.requestsPerSec) },
  { title: 'events/s', cell: (m) => (m.sentEvents > 0 ? int(m.eventsPerSec) : DASH) },
  { title: 'ids/s', cell: (m) => (m.sentIds > 0 ? int(m.idsPerSec) : DASH) },
  { title: 'p50 ms', cell: (m) => millis(m.p50Ms) },
  { title: 'p99 ms', cell: (m) => millis(m.p99Ms) },
  { title: '/users/track req per 1k events', cell: (m) => num(m.trackPer1k) },
  { title: 'lower bound per 1k events', cell: (m) => num(m.trackLowerBoundPer1k) },
  { title: '/users/export/ids req per 1k ids', cell: (m) => num(m.exportPer1k) },
  { title: 'lower bound per 1k ids', cell: (m) => num(m.exportLowerBoundPer1k) },
  { title: 'server CPU s per 1k items', cell: (m) => num(m.cpuPer1kItems, 3) },
  { title: 'server CPU ms per request', cell: (m) => num(m.cpuMsPerRequest, 3) },
  { title: 'simulator CPU s per 1k items', cell: (m) => num(m.simCpuPer1kItems, 3) },
  { title: 'peak RSS MiB', cell: (m) => num(m.peakRssMiB, 0) },
  { title: '429s', cell: (m) => int(m.upstream429) },
  { title: 'load generator CPU (cores)', cell: (m) => num(m.loadGeneratorCores) },
  { title: 'other CPU on the machine (cores)', cell: (m) => num(m.otherCores) },
  { title: 'failed requests', cell: (m) => int(m.failedRequests + m.transportErrors) },
];

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function targetLabel(report: BenchReport, id: string): string {
  return report.targets.find((t) => t.id === id)?.label ?? '3 gateway replicas (shared Redis budget)';
}

/** One table per scenario, leaving out columns that are empty for every row. */
function scenarioTable(report: BenchReport, rows: Measurement[]): string {
  const cols = COLUMNS.filter((c) => rows.some((m) => c.cell(m) !== DASH));
  return table(
    ['server', ...cols.map((c) => c.title)],
    rows.map((m) => [targetLabel(report, m.target), ...cols.map((c) => c.cell(m))]),
  );
}

/** Items per second of a measurement: events/s, ids/s, or both for the mixed workload. */
function itemsPerSec(m: Measurement | undefined): string {
  if (m === undefined) return DASH;
  if (m.sentEvents > 0 && m.sentIds > 0) return `${int(m.eventsPerSec)} ev + ${int(m.idsPerSec)} ids`;
  return m.sentIds > 0 ? int(m.idsPerSec) : int(m.eventsPerSec);
}

export function summaryTable(report: BenchReport): string {
  const targetIds = report.targets.map((t) => t.id);
  const rows = report.scenarios.map((s) => {
    const here = report.measurements.filter((m) => m.scenario === s.id);
    if (s.id === 'replicas') {
      const m = here[0];
      return [s.title, itemsPerSec(m), ...targetIds.slice(1).map(() => DASH)];
    }
    const g = here.find((m) => m.target === 'gateway');
    return [
      s.title,
      g === undefined ? DASH : `${itemsPerSec(g)} (p99 ${millis(g.p99Ms)} ms)`,
      ...targetIds.slice(1).map((id) => itemsPerSec(here.find((m) => m.target === id))),
    ];
  });
  return table(['scenario', ...report.targets.map((t) => t.label)], rows);
}

/**
 * One sentence per scenario: the gateway against the RESTDataSource peer, BATCHING=off, bare
 * Apollo, and itself run from TypeScript.
 */
function headlines(report: BenchReport): string[] {
  const out: string[] = [];
  for (const s of report.scenarios) {
    const rows = report.measurements.filter((m) => m.scenario === s.id);
    const g = rows.find((m) => m.target === 'gateway');
    if (g === undefined) continue;
    const rate = (m: Measurement) => m.eventsPerSec + m.idsPerSec;
    const parts: string[] = [];
    const peer = rows.find((m) => m.target === 'peer');
    const off = rows.find((m) => m.target === 'unbatched');
    const bare = rows.find((m) => m.target === 'bare');
    const tsx = rows.find((m) => m.target === 'gatewayTsx');
    if (peer !== undefined && rate(peer) > 0)
      parts.push(`${num(rate(g) / rate(peer), 2)} × the RESTDataSource peer's items/s`);
    if (off !== undefined && rate(off) > 0) parts.push(`${num(rate(g) / rate(off), 1)} × BATCHING=off`);
    if (bare !== undefined && rate(bare) > 0)
      parts.push(
        `${((rate(g) / rate(bare)) * 100).toFixed(0)}% of bare Apollo (p50 ${signedMs(g.p50Ms - bare.p50Ms)} over it, p99 ${num(g.p99Ms / Math.max(bare.p99Ms, 1e-9), 2)} × its)`,
      );
    if (tsx !== undefined && rate(tsx) > 0)
      parts.push(`${num(rate(g) / rate(tsx), 2)} × the same gateway run from TypeScript (tsx)`);
    const upstream: string[] = [];
    if (g.trackPer1k !== null && g.sentEvents > 0)
      upstream.push(
        `${num(g.trackPer1k, 1)} /users/track requests per 1k events (peer: ${num(peer?.trackPer1k ?? null, 1)})`,
      );
    if (g.exportPer1k !== null && g.sentIds > 0)
      upstream.push(
        `${num(g.exportPer1k, 1)} /users/export/ids requests per 1k ids (peer: ${num(peer?.exportPer1k ?? null, 1)})`,
      );
    const cpu =
      peer !== undefined
        ? `; server CPU per 1k items ${num(g.cpuPer1kItems, 3)} s against the peer's ${num(peer.cpuPer1kItems, 3)} s`
        : '';
    out.push(`**${s.title}**: ${parts.join(', ')}; ${upstream.join(', ')}${cpu}.`);
  }
  return out;
}

const ENDPOINT_OF: Record<string, string> = {
  'users.track': '/users/track',
  'users.export.ids': '/users/export/ids',
};

/** One sentence per lane: how many items the gateway's upstream requests carried. */
function requestSizeLines(report: BenchReport, m: Measurement): string[] {
  return (m.requestSizes ?? []).map((z) => {
    const items = z.batcher === 'users.track' ? 'events' : 'ids';
    const bands = z.bands.map((b) => `${b.label}: ${int(b.requests)}`).join(', ');
    return (
      `${targetLabel(report, m.target)}: ${ENDPOINT_OF[z.batcher] ?? z.batcher} requests by ${items} carried ` +
      `(the gateway's \`bgw_batch_items_per_request\` histogram, 429ed ones included): ${bands}; ` +
      `${int(z.requests)} requests, ${num(z.items / z.requests, 1)} ${items} each on average.`
    );
  });
}

/** The gateway before and after, per scenario both runs measured: share of bare Apollo, CPU, p99. */
export function beforeAfterTable(report: BenchReport, before: NonNullable<BenchReport['before']>): string {
  const rows: string[][] = [];
  for (const b of before.rows) {
    const gw = report.measurements.find((m) => m.scenario === b.scenario && m.target === 'gateway');
    const bare = report.measurements.find((m) => m.scenario === b.scenario && m.target === 'bare');
    if (gw === undefined || bare === undefined) continue;
    const items = (m: Measurement) => m.eventsPerSec + m.idsPerSec;
    const pct = (g: number, bareN: number) => (bareN > 0 ? `${((100 * g) / bareN).toFixed(1)}%` : DASH);
    rows.push([
      b.title,
      `${int(b.gatewayItemsPerSec)} → ${int(items(gw))}`,
      `${pct(b.gatewayItemsPerSec, b.bareItemsPerSec)} → ${pct(items(gw), items(bare))}`,
      `${num(b.gatewayCpuMsPerRequest, 3)} → ${num(gw.cpuMsPerRequest, 3)}`,
      `${num(b.gatewayCpuMsPerRequest / b.bareCpuMsPerRequest)} → ${num(gw.cpuMsPerRequest / bare.cpuMsPerRequest)}`,
      `${num(b.gatewayP99Ms / b.bareP99Ms)} → ${num(gw.p99Ms / bare.p99Ms)}`,
    ]);
  }
  return table(
    [
      'scenario',
      'gateway items/s',
      'share of bare Apollo',
      'gateway CPU ms/request',
      'CPU/request ÷ bare',
      'p99 ÷ bare',
    ],
    rows,
  );
}

export function checksTable(report: BenchReport): string {
  return table(
    ['target', 'scenario', 'measured', 'goal', 'met', 'note'],
    report.checks.map((c) => [c.target, c.scenario, c.measured, c.goal, metCell(c), c.note ?? '']),
  );
}

/** ✔ or ✘, and for a target with a floor under its goal whether the floor was cleared. */
export function metCell(c: TargetCheck): string {
  const mark = c.met ? '✔' : '✘';
  if (c.floor === undefined || c.met) return mark;
  return `${mark} (floor ${c.floor.goal} ${c.floor.met ? '✔' : '✘'})`;
}

export function consoleTable(report: BenchReport): string {
  const headers = [
    'scenario',
    'server',
    'req/s',
    'items/s',
    'p50',
    'p99',
    'up/1k',
    'bound',
    'cpu s/1k',
    'rss',
    'fail',
  ];
  const rows = report.measurements.map((m) => [
    m.scenario,
    m.target,
    int(m.requestsPerSec),
    int(m.eventsPerSec + m.idsPerSec),
    millis(m.p50Ms),
    millis(m.p99Ms),
    num(m.trackPer1k ?? m.exportPer1k),
    num(m.trackPer1k !== null ? m.trackLowerBoundPer1k : m.exportLowerBoundPer1k),
    num(m.cpuPer1kItems, 3),
    num(m.peakRssMiB, 0),
    int(m.failedRequests + m.transportErrors),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

export function chartSvg(report: BenchReport): string {
  const series = report.targets.map((t) => ({ label: t.label, color: COLORS[t.id] }));
  const groups = report.scenarios
    .filter((s) => s.id !== 'replicas')
    .map((s) => ({
      label: s.title.replace(/, /g, '\n'),
      values: report.targets.map((t) => {
        const m = report.measurements.find((x) => x.scenario === s.id && x.target === t.id);
        return m === undefined ? null : m.eventsPerSec + m.idsPerSec;
      }),
    }));
  return groupedBarChart({
    title: `Items answered ok per second (events or ids) — one machine, one run, ${report.startedAt.slice(0, 10)}`,
    yLabel: 'items/s (log scale)',
    series,
    groups,
    footnote:
      'Closed-loop autocannon over loopback, each server in its own process; node:http answers a constant. Data: benchmarks.json',
  });
}

export function markdown(report: BenchReport): string {
  const r = report;
  const out: string[] = [];
  const p = (s = '') => out.push(s);
  p('# Benchmarks');
  p();
  p(
    `Generated by \`npm run bench\` (bench/run.ts) on ${r.startedAt}; the run took ${Math.round(r.durationSec)} s. ` +
      'Every figure below comes from that one run on one machine: compare the rows with each other, not with another machine. ' +
      'Raw numbers: [benchmarks.json](benchmarks.json).',
  );
  p();
  p('## How to run');
  p();
  p('```sh');
  p('npm ci');
  p('npm run bench                    # needs redis-server on PATH (a private one is started and stopped)');
  p('BENCH_SECONDS=10 npm run bench   # longer measurements');
  p('```');
  p();
  p(
    'Knobs: `BENCH_SECONDS` (measured seconds per scenario and server, default 6), `BENCH_WARMUP_SECONDS` (default 1), ' +
      '`BENCH_PROFILE_SECONDS` (default 3), `BENCH_PROFILE_MAX` (profiles of missed targets, default 3), ' +
      '`BENCH_RETRIES` (measurements taken again when other work on the machine disturbed them, default 3), ' +
      '`BENCH_SCENARIOS` (comma-separated scenario ids, for a partial run that still writes these files), ' +
      '`BENCH_PROFILE_DIR` (where the `.cpuprofile` files go). ' +
      'A profile can be summarised again with `npx tsx bench/cpuprofile.ts <file.cpuprofile>`.',
  );
  p();
  p('## Machine');
  p();
  p(
    table(
      ['', ''],
      [
        ['CPUs (nproc)', String(r.machine.nproc)],
        ['CPU', r.machine.cpuModel],
        ['memory', `${r.machine.memoryGiB.toFixed(1)} GiB`],
        ['Node.js', r.machine.node],
        ['OS', r.machine.os],
        ['date', r.startedAt],
        ['other work on the machine at start', `${num(r.machine.otherCoresAtStart)} cores`],
      ],
    ),
  );
  p();
  p('## Set-up');
  p();
  p(
    'Every server under test, the Braze simulator (`bench/simulator.ts`) and Redis run in processes of their own; the load ' +
      'generator ([autocannon](https://github.com/mcollina/autocannon), programmatic API, closed loop: each connection sends its ' +
      'next request when the previous answer arrives) runs in the orchestrator. Everything talks over loopback (127.0.0.1) and ' +
      `shares the machine's ${r.machine.nproc} CPUs, so a server that makes the simulator work harder also takes CPU from itself.`,
  );
  p();
  p(
    table(
      ['server', 'what it is'],
      r.targets.map((t) => [t.label, t.description]),
    ),
  );
  p();
  p(
    table(
      ['setting', 'value'],
      Object.entries(r.settings).map(([k, v]) => [k, String(v)]),
    ),
  );
  p();
  p(
    'Figures: **GraphQL req/s** and **events/s** (ids/s for reads) count answers in which every item was ok; **p50/p99** are ' +
      'latencies of all answers; **upstream requests per 1k** are the Braze requests the simulator answered (`GET /_simulator/stats`) ' +
      'per 1,000 items that reached the server, against the least possible, ceil(events / 75) (ceil(ids / 50) for reads); ' +
      '**server CPU** is user + system time of the process under test from `/proc/<pid>/stat` (clock ticks ÷ `getconf CLK_TCK` = ' +
      `${r.machine.clkTck}), per 1,000 items and per request; **simulator CPU** the same for the simulator; **peak RSS** is ` +
      "`VmHWM` from `/proc/<pid>/status`, reset (`clear_refs`) before each measurement; **429s** are the simulator's.",
  );
  p();
  p('## Summary');
  p();
  p(
    'Items answered ok per second (events/s for `trackEvents`, ids/s for `users`); higher is better. ' +
      'The gateway column adds its p99 latency.',
  );
  p();
  p(summaryTable(r));
  p();
  p('![Items per second per server and scenario](benchmarks.svg)');
  p();
  const heads = headlines(r);
  if (heads.length > 0) {
    p('In short, for the gateway against the other servers in the same scenario:');
    p();
    for (const h of heads) p(`- ${h}`);
  }
  p();
  p('## Targets');
  p();
  p(checksTable(r));
  p();
  for (const note of r.notes) {
    p(`- ${note}`);
  }
  if (r.notes.length > 0) p();
  if (r.before !== undefined) {
    p(`## Before and after ${r.before.about}`);
    p();
    p(beforeAfterTable(r, r.before));
    p();
    p(
      `Before: the full run of ${r.before.startedAt} at commit ${r.before.commit} (${r.before.source}; ${r.before.howRun}). ` +
        'After: this run. Machines and days differ, so the comparable figures are the ratios to bare Apollo measured in the ' +
        'same run, and the CPU per request (the gateway over bare Apollo, each from its own run).',
    );
    p();
  }
  p('## Results per scenario');
  p();
  const retried = r.measurements.filter((m) => m.attempts === 2);
  if (retried.length > 0) {
    p(
      `${retried.length} measurement${retried.length === 1 ? ' was' : 's were'} taken twice because other work on the machine took CPU during the first try ` +
        `(${retried.map((m) => `${m.scenario}/${m.target}`).join(', ')}); the less disturbed of the two is shown.`,
    );
    p();
  }
  const disturbed = r.measurements.filter((m) => m.otherCores >= 0.25);
  if (disturbed.length > 0) {
    p(
      `⚠ ${disturbed.length} of ${r.measurements.length} measurements ran while other work used at least 0.25 of a CPU on the machine ` +
        `(column "other CPU on the machine", up to ${num(Math.max(...disturbed.map((m) => m.otherCores)))} cores): their figures are lower than this machine can do. ` +
        'Run again on a quiet machine before comparing them with another run.',
    );
    p();
  }
  for (const s of r.scenarios) {
    const rows = r.measurements.filter((m) => m.scenario === s.id);
    if (rows.length === 0) continue;
    p(`### ${s.title}`);
    p();
    p(`${s.description} ${s.connections} connections.`);
    p();
    p(scenarioTable(r, rows));
    p();
    for (const m of rows) {
      for (const line of requestSizeLines(r, m)) {
        p(line);
        p();
      }
    }
    const budget = rows[0]?.budget;
    if (budget !== undefined) {
      p(
        table(
          ['budget figure', 'value'],
          [
            ['limit', `${budget.limit} requests / ${budget.windowSec} s (simulator and every replica)`],
            ['full windows measured', String(budget.fullWindows)],
            ['requests accepted in them', String(budget.accepted)],
            ['utilisation (accepted ÷ limit × windows)', `${(budget.utilisation * 100).toFixed(1)}%`],
            ['most admitted in any one window', String(budget.maxInAnyWindow)],
            ['429s from the simulator', String(budget.rejected429)],
            [
              'events per accepted /users/track request (whole load)',
              `${num(budget.eventsPerAcceptedRequest, 1)} of 75 (${budget.acceptedOverall} requests accepted)`,
            ],
            ['items that failed (e.g. RATE_LIMITED past the deadline)', String(budget.rateLimitedItems)],
          ],
        ),
      );
      p();
      if (budget.windows.length > 0) {
        p(
          'Requests the simulator accepted in each window of the run (polled every 25 ms; the first and last windows are partial, ✓ marks the windows utilisation is computed over):',
        );
        p();
        p(
          table(
            ['window', ...budget.windows.map((w) => `${w.index}${w.measured ? ' ✓' : ''}`)],
            [
              ['accepted', ...budget.windows.map((w) => String(w.accepted))],
              ['last one at (ms into the window)', ...budget.windows.map((w) => String(w.lastAtMs))],
            ],
          ),
        );
        p();
      }
      for (const note of budget.notes) {
        p(note);
        p();
      }
    }
    const failure = rows.find((m) => m.sampleFailure !== undefined);
    if (failure !== undefined) {
      p(
        `A failed answer (${targetLabel(r, failure.target)}): \`${failure.sampleFailure!.replace(/`/g, "'")}\``,
      );
      p();
    }
  }
  p('## Misses: where the time goes');
  p();
  if (r.profiles.length === 0) {
    p('No target was missed.');
    p();
  }
  for (const f of r.profiles) {
    p(`### ${f.scenario}`);
    p();
    p(f.reason);
    p();
    for (const e of f.explanation ?? []) {
      p(e);
      p();
    }
    if (f.summary === undefined) continue;
    p(
      `The gateway ran alone under \`node --cpu-prof\` on this scenario (${int(f.eventsPerSec)} items/s while profiled); ` +
        `${(f.summary.busyMs / 1000).toFixed(1)} s of CPU on the main thread in ${(f.summary.wallMs / 1000).toFixed(1)} s ` +
        '(start-up and warm-up left out). Self time by area, as a share of the busy time:',
    );
    p();
    p(
      table(
        ['area', 'self %', 'self ms'],
        f.summary.areas.slice(0, 12).map((a) => [`\`${a.name}\``, a.pct.toFixed(1), a.ms.toFixed(0)]),
      ),
    );
    p();
    p('Top functions by self time:');
    p();
    p(
      table(
        ['function (file:line)', 'self %'],
        f.summary.functions.slice(0, 15).map((a) => [`\`${a.name}\``, a.pct.toFixed(1)]),
      ),
    );
    p();
    p(`By layer: ${whereTimeGoes(f.summary.areas)}`);
    p();
    if (f.comparison !== undefined) {
      const c = f.comparison;
      const total = (k: 'msPerRequest' | 'baselineMsPerRequest') => c.layers.reduce((a, l) => a + l[k], 0);
      const g = total('msPerRequest');
      const b = total('baselineMsPerRequest');
      p(
        `Against ${c.baseline}, profiled the same way on the same requests: ${num(g)} ms of main-thread CPU per request ` +
          `against ${num(b)} ms (${num(g / b)} ×). Per request, by layer, largest difference first (differences under 0.02 ms left out):`,
      );
      p();
      p(
        table(
          ['layer', 'gateway ms/request', `${c.baseline} ms/request`, 'difference'],
          c.layers
            .filter((l) => Math.abs(l.msPerRequest - l.baselineMsPerRequest) >= 0.02)
            .map((l) => [
              l.layer,
              num(l.msPerRequest, 3),
              num(l.baselineMsPerRequest, 3),
              `${l.msPerRequest >= l.baselineMsPerRequest ? '+' : ''}${num(l.msPerRequest - l.baselineMsPerRequest, 3)}`,
            ]),
        ),
      );
      p();
      const extra = c.layers.filter((l) => l.msPerRequest - l.baselineMsPerRequest > 0);
      const extraTotal = extra.reduce((a, l) => a + l.msPerRequest - l.baselineMsPerRequest, 0);
      if (g <= b) {
        p(
          `While profiled, the gateway used no more main-thread CPU per request than ${c.baseline}: the miss came from elsewhere (CPU off the main thread, or the machine's load during the measurement; see the scenario's table).`,
        );
        p();
        continue;
      }
      p(
        `Of the extra ${num(g - b)} ms per request, ` +
          extra
            .slice(0, 5)
            .map(
              (l) =>
                `${l.layer} accounts for ${num(l.msPerRequest - l.baselineMsPerRequest)} ms (${(((l.msPerRequest - l.baselineMsPerRequest) / extraTotal) * 100).toFixed(0)}%)`,
            )
            .join(', ') +
          '.',
      );
      p();
    }
  }
  return `${out.join('\n')}\n`;
}

/** The layer of the stack an area of a profile belongs to. */
export function layerOf(name: string): string {
  if (name === 'graphql') return 'graphql-js (parse, validate, coerce, execute)';
  if (name.startsWith('@apollo/')) return 'Apollo Server (request pipeline)';
  if (name.startsWith('src/') || name.startsWith('resolvers/'))
    return "the gateway's own code (src/, resolvers/)";
  if (name.startsWith('bench/')) return "the baseline's own code (bench/)";
  if (name === 'undici') return 'undici (upstream HTTP)';
  if (name.startsWith('node:')) return 'Node core (http, net, streams, events)';
  if (name === 'GC') return 'garbage collection';
  if (name.startsWith('V8')) return 'V8 builtins and native calls (socket writev, JSON, microtasks)';
  if (name === 'pino' || name === 'prom-client') return 'logging and metrics (pino, prom-client)';
  if (name === 'tsx') return 'tsx (TypeScript loader hooks, absent from a compiled build)';
  return name.includes('/') && !name.startsWith('@') ? 'other code' : name;
}

/** A sentence from the area breakdown: which layers take the CPU, largest first. */
export function whereTimeGoes(areas: Array<{ name: string; pct: number }>): string {
  const groups = new Map<string, number>();
  for (const a of areas) groups.set(layerOf(a.name), (groups.get(layerOf(a.name)) ?? 0) + a.pct);
  const sorted = [...groups].filter(([, pct]) => pct >= 0.5).sort((a, b) => b[1] - a[1]);
  return `${sorted.map(([name, pct]) => `${name} ${pct.toFixed(0)}%`).join(', ')} (shares of the busy time; layers under 0.5% left out).`;
}
