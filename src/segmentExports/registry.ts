import { createHash, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from '../budget/redisConnection.js';
import type { BrazeUserField, SegmentExportCompletion, SegmentExportFormat } from '../generated/graphql.js';
import type { Logger } from '../observability/log.js';

/**
 * What the gateway remembers of the segment exports it started (Braze has no status endpoint,
 * docs/braze-facts.md §3.21): shared by replicas through Redis when configured, in this
 * replica's memory otherwise (or while Redis is unreachable), for RECORD_TTL_MS.
 *
 * A record is written in three steps by different parties, each setting its own fields of one
 * Redis hash, so none overwrites another's and no step reads before it writes: the starter
 * (segment, fields, when, how completion is learned, the callback token's hash), then the starter
 * again once Braze accepted (`objectPrefix`, `url`), then Braze's callback (`completedAtMs`,
 * `success`, `callbackUrl`) — which may arrive before the second step on a tiny segment.
 */

/** How long a record is kept: Braze's download URLs last hours, its exports an hour or more. */
export const RECORD_TTL_MS = 7 * 86_400_000;
/** Records kept in memory at most (the oldest go first). */
const MAX_MEMORY_RECORDS = 10_000;

export interface ExportStart {
  id: string;
  segmentId: string;
  startedAtMs: number;
  fields: BrazeUserField[];
  customAttributes: string[];
  outputFormat: SegmentExportFormat;
  completion: SegmentExportCompletion;
  /** The callback URL's secret (GATEWAY_CALLBACK only); only its SHA-256 is stored. */
  callbackToken?: string;
}

export interface ExportRecord extends Omit<ExportStart, 'callbackToken'> {
  objectPrefix: string;
  url?: string;
  completedAtMs?: number;
  success?: boolean;
}

type Fields = Record<string, string>;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface ExportRegistryOptions {
  /** Key prefix, per workspace (the shared cache's). */
  prefix: string;
  redis?: RedisClient;
  log: Logger;
  now?: () => number;
}

export class ExportRegistry {
  readonly #opts: ExportRegistryOptions;
  readonly #now: () => number;
  readonly #memory = new Map<string, { fields: Fields; expiresAtMs: number }>();

  constructor(opts: ExportRegistryOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Step 1: the export is about to be asked of Braze. */
  async start(s: ExportStart): Promise<void> {
    const fields: Fields = {
      segmentId: s.segmentId,
      startedAtMs: String(s.startedAtMs),
      fields: JSON.stringify(s.fields),
      customAttributes: JSON.stringify(s.customAttributes),
      outputFormat: s.outputFormat,
      completion: s.completion,
      ...(s.callbackToken === undefined ? {} : { tokenHash: sha256(s.callbackToken).toString('hex') }),
    };
    await this.#write(s.id, fields, true);
  }

  /** Step 2: Braze accepted it. */
  accepted(id: string, objectPrefix: string, url: string | undefined): Promise<void> {
    return this.#write(id, { objectPrefix, ...(url === undefined ? {} : { url }) }, false);
  }

  /** Braze refused it: nothing was started. */
  async forget(id: string): Promise<void> {
    this.#memory.delete(id);
    await this.#redis()
      ?.del(this.#key(id))
      .catch(() => undefined);
  }

  /**
   * Step 3, from Braze's callback: true when `token` is this export's, and the completion is
   * recorded (a repeated callback changes nothing); false for an unknown export or a wrong token.
   */
  async complete(id: string, token: string, success: boolean, url: string | undefined): Promise<boolean> {
    const fields = await this.#read(id);
    if (fields?.tokenHash === undefined) return false;
    const expected = Buffer.from(fields.tokenHash, 'hex');
    if (!timingSafeEqual(expected, sha256(token))) return false;
    if (fields.completedAtMs !== undefined) return true;
    await this.#write(
      id,
      {
        completedAtMs: String(this.#now()),
        success: String(success),
        ...(url === undefined ? {} : { callbackUrl: url }),
      },
      false,
    );
    return true;
  }

  /** The export, once Braze accepted it; undefined before, after RECORD_TTL_MS, or never started here. */
  async get(id: string): Promise<ExportRecord | undefined> {
    const f = await this.#read(id);
    if (f?.objectPrefix === undefined || f.segmentId === undefined) return undefined;
    const url = f.callbackUrl ?? f.url;
    return {
      id,
      segmentId: f.segmentId,
      startedAtMs: Number(f.startedAtMs),
      fields: JSON.parse(f.fields ?? '[]') as BrazeUserField[],
      customAttributes: JSON.parse(f.customAttributes ?? '[]') as string[],
      outputFormat: f.outputFormat as SegmentExportFormat,
      completion: f.completion as SegmentExportCompletion,
      objectPrefix: f.objectPrefix,
      ...(url === undefined ? {} : { url }),
      ...(f.completedAtMs === undefined
        ? {}
        : { completedAtMs: Number(f.completedAtMs), success: f.success === 'true' }),
    };
  }

  async #write(id: string, fields: Fields, create: boolean): Promise<void> {
    const redis = this.#redis();
    if (redis !== undefined) {
      try {
        // A later step renews the expiry, so a record never outlives its last change by more
        // than RECORD_TTL_MS, and a step after expiry never leaves a key without one.
        await redis.multi().hset(this.#key(id), fields).pexpire(this.#key(id), RECORD_TTL_MS).exec();
        return;
      } catch (err) {
        this.#opts.log.warn(
          { err: String(err) },
          'segment exports: could not write to Redis; kept in memory',
        );
      }
    }
    const held = this.#memory.get(id);
    if (held === undefined && !create) return;
    this.#memory.delete(id);
    if (this.#memory.size >= MAX_MEMORY_RECORDS) {
      const oldest = this.#memory.keys().next().value;
      if (oldest !== undefined) this.#memory.delete(oldest);
    }
    this.#memory.set(id, {
      fields: { ...held?.fields, ...fields },
      expiresAtMs: this.#now() + RECORD_TTL_MS,
    });
  }

  async #read(id: string): Promise<Partial<Fields> | undefined> {
    const redis = this.#redis();
    if (redis !== undefined) {
      try {
        const fields = await redis.hgetall(this.#key(id));
        if (Object.keys(fields).length > 0) return fields;
      } catch {
        // Redis unusable right now: this replica's memory still serves.
      }
    }
    const held = this.#memory.get(id);
    return held === undefined || held.expiresAtMs <= this.#now() ? undefined : held.fields;
  }

  #redis(): RedisClient | undefined {
    const redis = this.#opts.redis;
    return redis !== undefined && redis.status === 'ready' ? redis : undefined;
  }

  #key(id: string): string {
    return `${this.#opts.prefix}:segment-export:${id}`;
  }
}
