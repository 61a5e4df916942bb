import { isPlainObject } from './validate.js';

/** An injected failure, applied to the next `times` matching requests. */
export interface Fault {
  /** Only requests to this path (e.g. `/users/track`); every path when absent. */
  path?: string;
  /** Status to answer with (`kind: 'status'`); default 500. */
  status?: number;
  /** JSON body to answer with; default `{"message":"Simulated failure"}`. */
  body?: unknown;
  /** Extra response headers. A faulted answer carries no rate-limit headers unless given here. */
  headers?: Record<string, string>;
  /**
   * `status` (default) answers `status`/`body`; `reset` destroys the socket without answering;
   * `hang` never answers (the request ends when the simulator closes).
   */
  kind?: 'status' | 'reset' | 'hang';
  /** How many matching requests the fault applies to; default 1. `Infinity` for all of them. */
  times?: number;
  /** Only requests whose parsed body satisfies this (e.g. contains a poison event). */
  when?: (body: unknown) => boolean;
}

export const DEFAULT_FAULT_BODY = { message: 'Simulated failure' };

const KINDS = ['status', 'reset', 'hang'] as const;

/** Checks a fault (in-process or from the admin route); returns what is wrong, or undefined. */
export function faultProblem(f: unknown): string | undefined {
  if (!isPlainObject(f)) return 'a fault must be an object';
  if (f.path !== undefined && typeof f.path !== 'string') return "'path' must be a string";
  if (
    f.status !== undefined &&
    !(Number.isInteger(f.status) && (f.status as number) >= 100 && (f.status as number) <= 599)
  ) {
    return "'status' must be an HTTP status code (100-599)";
  }
  if (f.kind !== undefined && !(KINDS as readonly unknown[]).includes(f.kind)) {
    return "'kind' must be 'status', 'reset' or 'hang'";
  }
  if (
    f.times !== undefined &&
    !(typeof f.times === 'number' && f.times >= 1 && (Number.isInteger(f.times) || f.times === Infinity))
  ) {
    return "'times' must be a positive integer";
  }
  if (
    f.headers !== undefined &&
    !(isPlainObject(f.headers) && Object.values(f.headers).every((v) => typeof v === 'string'))
  ) {
    return "'headers' must map header names to strings";
  }
  if (f.when !== undefined && typeof f.when !== 'function') return "'when' must be a function";
  return undefined;
}

interface ArmedFault {
  fault: Fault;
  remaining: number;
}

/** Pending faults, matched in the order they were injected. */
export class FaultList {
  private faults: ArmedFault[] = [];

  add(fault: Fault): void {
    const problem = faultProblem(fault);
    if (problem !== undefined) throw new TypeError(`injectFault: ${problem}`);
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  get size(): number {
    return this.faults.length;
  }

  /** The first fault matching the request, which it then uses up once. */
  take(path: string, body: unknown): Fault | undefined {
    const i = this.faults.findIndex(({ fault }) => {
      if (fault.path !== undefined && fault.path !== path) return false;
      if (fault.when === undefined) return true;
      try {
        return fault.when(body);
      } catch {
        // A predicate that throws on an unexpected body shape simply does not match it.
        return false;
      }
    });
    const armed = this.faults[i];
    if (armed === undefined) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.faults.splice(i, 1);
    return armed.fault;
  }
}
