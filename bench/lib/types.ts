import type { ProfileSummary } from './cpuProfile.js';

export type TargetId = 'gateway' | 'gatewayTsx' | 'unbatched' | 'peer' | 'bare' | 'constant';

export interface TargetInfo {
  id: TargetId;
  label: string;
  description: string;
}

/** The figures of one target under one scenario. */
export interface Measurement {
  scenario: string;
  target: TargetId | 'replicas';
  connections: number;
  seconds: number;
  /** Successful GraphQL requests per second. */
  requestsPerSec: number;
  /** Events (or ids read) answered ok per second. */
  eventsPerSec: number;
  idsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  okRequests: number;
  failedRequests: number;
  failedItems: number;
  transportErrors: number;
  /** Items that reached the server (answered or in flight at the end). */
  sentEvents: number;
  sentIds: number;
  sentRequests: number;
  /** Braze requests the simulator answered, by endpoint. */
  upstreamTrack: number;
  upstreamExport: number;
  upstream429: number;
  /** /users/track requests per 1,000 events, and the least possible: ceil(events / 75) per 1,000. */
  trackPer1k: number | null;
  trackLowerBoundPer1k: number | null;
  /** /users/export/ids requests per 1,000 ids, and ceil(ids / 50) per 1,000. */
  exportPer1k: number | null;
  exportLowerBoundPer1k: number | null;
  /** CPU of the process(es) under test (user + system). */
  cpuSeconds: number;
  cpuPer1kItems: number;
  cpuMsPerRequest: number;
  /** CPU of the simulator (the upstream side of the work). */
  simCpuSeconds: number;
  simCpuPer1kItems: number;
  peakRssMiB: number;
  /** Wall time between the CPU samples: the load, then the settling after it. */
  sampledSeconds: number;
  /** CPU the load generator (this process) used, in cores. */
  loadGeneratorCores: number;
  /**
   * CPU used on the machine by anything else than the processes of this run, in cores: other
   * work disturbing the measurement when it is not near 0.
   */
  otherCores: number;
  /** 2 when it was measured again because other work disturbed the first try (the less disturbed is kept). */
  attempts?: number;
  /** Replicas scenario only. */
  budget?: BudgetFigures;
  /** The gateway's upstream requests by items carried, per lane (its own histogram). */
  requestSizes?: RequestSizes[];
  sampleFailure?: string;
}

/** A gateway lane's upstream requests during one load, from its `bgw_batch_items_per_request`. */
export interface RequestSizes {
  /** The lane (users.track, users.export.ids). */
  batcher: string;
  /** Requests granted (429ed ones included) and the items they carried. */
  requests: number;
  items: number;
  /** Requests per band of items carried (the histogram's buckets), empty bands left out. */
  bands: Array<{ label: string; requests: number }>;
}

export interface BudgetFigures {
  limit: number;
  windowSec: number;
  fullWindows: number;
  /** Braze requests the simulator accepted in those full windows. */
  accepted: number;
  utilisation: number;
  /** Most requests the simulator admitted in any one window (must not exceed the limit). */
  maxInAnyWindow: number;
  rejected429: number;
  rateLimitedItems: number;
  /** /users/track requests the simulator accepted (2xx) over the whole load, warm-up included. */
  acceptedOverall: number;
  /**
   * Events per accepted /users/track request over the whole load: events that reached Braze
   * (sent to the gateways, less those that failed there) ÷ `acceptedOverall`. At most 75.
   */
  eventsPerAcceptedRequest: number;
  /** Every window of the run, from the polled simulator counts. */
  windows: BudgetWindow[];
  /** What the per-window counts show (windows not filled). */
  notes: string[];
}

export interface BudgetWindow {
  /** 1 for the run's first window. */
  index: number;
  accepted: number;
  /** When the window's last accepted request was seen, ms into the window. */
  lastAtMs: number;
  /** Inside the full windows utilisation is computed over. */
  measured: boolean;
}

export interface TargetCheck {
  target: string;
  scenario: string;
  measured: string;
  goal: string;
  met: boolean;
  /** A lower bar under the goal (e.g. the goal is 70%, the floor 50%): whether it was cleared. */
  floor?: { goal: string; met: boolean };
  note?: string;
}

export interface ProfileFinding {
  scenario: string;
  reason: string;
  /** The gateway's throughput while profiled (the profiler costs some). */
  eventsPerSec?: number;
  /** The gateway's profile; absent where the miss is explained from other figures. */
  summary?: ProfileSummary;
  /** CPU ms per request by layer, gateway against a baseline profiled the same way. */
  comparison?: {
    baseline: string;
    layers: Array<{ layer: string; msPerRequest: number; baselineMsPerRequest: number }>;
  };
  /** Sentences that explain the miss from the measured figures. */
  explanation?: string[];
}

export interface BenchReport {
  startedAt: string;
  durationSec: number;
  machine: {
    nproc: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    os: string;
    clkTck: number;
    /** CPU other work used on the machine in the second before the run started, in cores. */
    otherCoresAtStart: number;
  };
  settings: Record<string, string | number>;
  targets: TargetInfo[];
  scenarios: Array<{ id: string; title: string; description: string; connections: number }>;
  measurements: Measurement[];
  checks: TargetCheck[];
  profiles: ProfileFinding[];
  notes: string[];
  /** A run from before a piece of work, shown beside this one (bench/baselines/before-*.json). */
  before?: BeforeRun;
}

/** The gateway's and bare Apollo's figures per scenario in an earlier full run. */
export interface BeforeRun {
  /** What the comparison is about, e.g. `issue 15`. */
  about: string;
  commit: string;
  startedAt: string;
  source: string;
  howRun: string;
  rows: Array<{
    scenario: string;
    title: string;
    gatewayItemsPerSec: number;
    bareItemsPerSec: number;
    gatewayCpuMsPerRequest: number;
    bareCpuMsPerRequest: number;
    gatewayP50Ms: number;
    gatewayP99Ms: number;
    bareP99Ms: number;
  }>;
}
