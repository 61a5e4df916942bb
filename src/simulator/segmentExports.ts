import { randomUUID } from 'node:crypto';

/**
 * The simulator's segment exports (POST /users/export/segment, docs/braze-facts.md §3.21). Braze
 * runs an export in the background: it answers 201 with the files' `object_prefix` (and a
 * download `url` when the workspace has no storage of its own), writes the files, then POSTs
 * `{"success": true, "url"?}` to the request's `callback_endpoint`, if any. At most one export
 * per segment runs at a time, and at most 100 in all.
 *
 * Here an export runs for `durationMs` (real time) and then completes; `complete()` ends one at
 * once (tests await it: it resolves once the callback was answered). No files are written.
 */

export interface SimSegmentExport {
  objectPrefix: string;
  segmentId: string;
  /** Simulator clock, epoch ms. */
  startedAt: number;
  fieldsToExport: string[];
  customAttributesToExport: string[];
  outputFormat: 'zip' | 'gzip';
  callbackEndpoint?: string;
  /** Where Braze would put the files when the workspace has no storage of its own. */
  url?: string;
  state: 'running' | 'succeeded' | 'failed';
  /** What the callback POST got: its HTTP status, or the connection error's text. */
  callbackOutcome?: number | string;
}

export type SegmentExportSeed = Pick<
  SimSegmentExport,
  'segmentId' | 'fieldsToExport' | 'customAttributesToExport' | 'outputFormat' | 'callbackEndpoint'
>;

export interface SegmentExportOptions {
  /** How long an export runs before it completes on its own; Infinity: until `complete()`. */
  durationMs: number;
  /** The workspace has its own S3/Azure/GCS bucket: answers and callbacks carry no `url`. */
  ownStorage: boolean;
  now: () => number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Braze runs at most this many segment exports of one company at once (§3.21). */
export const MAX_RUNNING_EXPORTS = 100;
/** Exports remembered (the oldest finished ones are forgotten). */
const HISTORY_CAP = 1_000;

export class SimulatorSegmentExports {
  readonly exports: SimSegmentExport[] = [];
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: SegmentExportOptions) {}

  /** The export of `segmentId` still running, if any. */
  running(segmentId: string): SimSegmentExport | undefined {
    return this.exports.find((e) => e.segmentId === segmentId && e.state === 'running');
  }

  get runningCount(): number {
    return this.exports.filter((e) => e.state === 'running').length;
  }

  byPrefix(objectPrefix: string): SimSegmentExport | undefined {
    return this.exports.find((e) => e.objectPrefix === objectPrefix);
  }

  start(seed: SegmentExportSeed): SimSegmentExport {
    const startedAt = this.opts.now();
    // Braze's prefixes look like `<uuid>-<unix seconds when requested>`.
    const objectPrefix = `${randomUUID()}-${Math.floor(startedAt / 1000)}`;
    const day = new Date(startedAt).toISOString().slice(0, 10);
    const ext = seed.outputFormat === 'gzip' ? 'gz' : 'zip';
    const exp: SimSegmentExport = {
      ...seed,
      objectPrefix,
      startedAt,
      state: 'running',
      ...(this.opts.ownStorage
        ? {}
        : {
            url: `https://braze-simulator.invalid/segment-export/${seed.segmentId}/${day}/${objectPrefix}.${ext}`,
          }),
    };
    this.exports.push(exp);
    this.#forgetOld();
    if (Number.isFinite(this.opts.durationMs)) {
      const timer = setTimeout(() => void this.complete(objectPrefix), this.opts.durationMs);
      timer.unref();
      this.#timers.set(objectPrefix, timer);
    }
    return exp;
  }

  /**
   * Ends a running export (successfully unless `success` is false) and POSTs Braze's callback
   * body to its `callback_endpoint`; resolves once that POST was answered or failed. An export
   * already finished is left as it is.
   */
  async complete(objectPrefix: string, success = true): Promise<SimSegmentExport | undefined> {
    const exp = this.byPrefix(objectPrefix);
    if (exp === undefined || exp.state !== 'running') return exp;
    clearTimeout(this.#timers.get(objectPrefix));
    this.#timers.delete(objectPrefix);
    exp.state = success ? 'succeeded' : 'failed';
    if (exp.callbackEndpoint !== undefined) {
      const body = success && exp.url !== undefined ? { success, url: exp.url } : { success };
      try {
        const res = await fetch(exp.callbackEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        exp.callbackOutcome = res.status;
      } catch (err) {
        exp.callbackOutcome = String(err);
        this.opts.log('Braze simulator: a segment export callback failed', { error: String(err) });
      }
    }
    return exp;
  }

  /** Forgets every export and stops their timers (`Simulator.reset()`, `close()`). */
  reset(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.exports.length = 0;
  }

  #forgetOld(): void {
    while (this.exports.length > HISTORY_CAP) {
      const i = this.exports.findIndex((e) => e.state !== 'running');
      if (i < 0) return;
      this.exports.splice(i, 1);
    }
  }
}
