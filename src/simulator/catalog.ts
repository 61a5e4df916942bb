import { randomUUID } from 'node:crypto';

/**
 * The simulator's workspace catalog: campaigns, Canvases, segments and subscription groups (the
 * things a Braze dashboard user creates, which the REST API only reads), plus event names and
 * product ids known beyond what /users/track has recorded. The list and details GETs
 * (docs/braze-facts.md §3.17) and the messaging routes (docs/braze-facts.md §3.11–§3.16) read it.
 *
 * Records are live: a test may edit one (e.g. `canvas.enabled = false`) to change what the
 * simulator answers from the next request on.
 */

export interface SimCampaign {
  id: string;
  name: string;
  description: string;
  /** An API campaign (`/messages/send` tracking) rather than a dashboard-built one. */
  isApiCampaign: boolean;
  archived: boolean;
  draft: boolean;
  /** ISO-8601. Lists sort by creation time. */
  createdAt: string;
  /** ISO-8601; `last_edited` in lists, `updated_at` in details. */
  lastEdited: string;
  scheduleType: string;
  channels: string[];
  tags: string[];
  teams: string[];
  firstSent: string | null;
  lastSent: string | null;
  /** Message variations by variation id, as `/campaigns/details` shows them. */
  messages: Record<string, Record<string, unknown>>;
  conversionBehaviors: Array<Record<string, unknown>>;
}

export interface SimCanvas {
  id: string;
  name: string;
  description: string;
  archived: boolean;
  draft: boolean;
  /** False for a paused Canvas: triggers still answer 201, with a notice (docs/braze-facts.md §3.13). */
  enabled: boolean;
  createdAt: string;
  lastEdited: string;
  scheduleType: string;
  firstEntry: string | null;
  lastEntry: string | null;
  channels: string[];
  tags: string[];
  teams: string[];
  variants: Array<Record<string, unknown>>;
  steps: Array<Record<string, unknown>>;
}

export interface SimSegment {
  id: string;
  name: string;
  description: string;
  textDescription: string;
  analyticsTrackingEnabled: boolean;
  /** Archived segments are never listed (docs/braze-facts.md §3.17); details still answer. */
  archived: boolean;
  createdAt: string;
  lastEdited: string;
  tags: string[];
  teams: string[];
}

export type SubscriptionChannel = 'email' | 'sms';

export interface SimSubscriptionGroup {
  id: string;
  name: string;
  /** Email groups take `email`, SMS groups take `phone` identifiers (docs/braze-facts.md §3.15). */
  channel: SubscriptionChannel;
}

/** What `add*` and `SimulatorOptions.catalog` take: a name, everything else defaulted. */
export type CampaignSeed = Partial<SimCampaign> & { name: string };
export type CanvasSeed = Partial<SimCanvas> & { name: string };
export type SegmentSeed = Partial<SimSegment> & { name: string };
export type SubscriptionGroupSeed = Partial<SimSubscriptionGroup> & {
  name: string;
  channel: SubscriptionChannel;
};

/**
 * Seed data for `SimulatorOptions.catalog`. Each list given replaces the built-in default for that
 * list; a list left out keeps its default (so `{ campaigns: [] }` means "no campaigns").
 */
export interface CatalogSeed {
  campaigns?: CampaignSeed[];
  canvases?: CanvasSeed[];
  segments?: SegmentSeed[];
  subscriptionGroups?: SubscriptionGroupSeed[];
  /** Custom event names listed by `/events/list` besides the ones tracked. */
  eventNames?: string[];
  /** Product ids listed by `/purchases/product_list` besides the ones tracked. */
  productIds?: string[];
}

const SEED_TIME = '2026-01-05T09:00:00.000Z';
const SEED_EDITED = '2026-02-10T14:30:00.000Z';

/**
 * The built-in catalog, so that `npm start` in simulator mode has something to list. Ids are
 * fixed so documentation and examples can name them.
 */
export const DEFAULT_CATALOG: Readonly<Required<CatalogSeed>> = {
  campaigns: [
    {
      id: 'c0000000-0000-4000-8000-000000000001',
      name: 'Welcome series (API)',
      description: 'Sent through /messages/send and triggered from the back end.',
      isApiCampaign: true,
      scheduleType: 'api_triggered',
      channels: ['email'],
      tags: ['onboarding'],
    },
    {
      id: 'c0000000-0000-4000-8000-000000000002',
      name: 'Spring promotion',
      description: 'Scheduled newsletter.',
      isApiCampaign: false,
      scheduleType: 'time_based',
      channels: ['email', 'ios_push'],
      tags: ['promo'],
      firstSent: '2026-02-01T08:00:00.000Z',
      lastSent: '2026-02-15T08:00:00.000Z',
    },
    {
      id: 'c0000000-0000-4000-8000-000000000003',
      name: 'Cart abandonment',
      description: 'Action-based reminder.',
      isApiCampaign: false,
      scheduleType: 'action_based',
      channels: ['android_push', 'ios_push'],
    },
  ],
  canvases: [
    {
      id: 'a0000000-0000-4000-8000-000000000001',
      name: 'Onboarding journey',
      description: 'API-triggered onboarding Canvas.',
      scheduleType: 'api_triggered',
      channels: ['email', 'sms'],
      tags: ['onboarding'],
    },
    {
      id: 'a0000000-0000-4000-8000-000000000002',
      name: 'Win-back (paused)',
      description: 'Paused while the offer is reworked.',
      enabled: false,
      scheduleType: 'api_triggered',
      channels: ['email'],
    },
  ],
  segments: [
    {
      id: 's0000000-0000-4000-8000-000000000001',
      name: 'All users',
      description: 'Every user of the workspace.',
      textDescription: 'No filters',
      analyticsTrackingEnabled: true,
    },
    {
      id: 's0000000-0000-4000-8000-000000000002',
      name: 'VIP customers',
      description: 'Users tagged vip.',
      textDescription: 'Custom attribute tags includes value vip',
      tags: ['vip'],
    },
  ],
  subscriptionGroups: [
    { id: 'g0000000-0000-4000-8000-000000000001', name: 'Newsletter', channel: 'email' },
    { id: 'g0000000-0000-4000-8000-000000000002', name: 'SMS alerts', channel: 'sms' },
  ],
  eventNames: ['app_opened', 'signed_up'],
  productIds: ['plan_basic', 'plan_pro'],
};

const CHANNELS: readonly string[] = ['email', 'sms'];

function isoOrThrow(what: string, value: string): string {
  if (!Number.isFinite(Date.parse(value)))
    throw new TypeError(`${what} must be an ISO-8601 date, got ${value}`);
  return value;
}

function nameOrThrow(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: name must be a non-empty string`);
  return name;
}

/** The workspace catalog of one simulator. `reset()` brings back the seed it started with. */
export class SimulatorCatalog {
  /** In insertion order; the list routes sort by `createdAt`. */
  readonly campaigns: SimCampaign[] = [];
  readonly canvases: SimCanvas[] = [];
  readonly segments: SimSegment[] = [];
  readonly subscriptionGroups: SimSubscriptionGroup[] = [];
  private readonly extraEventNames = new Set<string>();
  private readonly extraProductIds = new Set<string>();
  private readonly seed: Required<CatalogSeed>;

  constructor(
    seed: CatalogSeed = {},
    private readonly now: () => number = Date.now,
  ) {
    this.seed = { ...DEFAULT_CATALOG, ...stripUndefined(seed) };
    this.reset();
  }

  /** Forgets everything added since start and loads the seed again. */
  reset(): void {
    this.campaigns.length = 0;
    this.canvases.length = 0;
    this.segments.length = 0;
    this.subscriptionGroups.length = 0;
    this.extraEventNames.clear();
    this.extraProductIds.clear();
    for (const c of this.seed.campaigns) this.addCampaign(c);
    for (const c of this.seed.canvases) this.addCanvas(c);
    for (const s of this.seed.segments) this.addSegment(s);
    for (const g of this.seed.subscriptionGroups) this.addSubscriptionGroup(g);
    this.addEventNames(...this.seed.eventNames);
    this.addProductIds(...this.seed.productIds);
  }

  /** Adds a campaign; returns the stored record (with a generated UUID when `id` is absent). */
  addCampaign(seed: CampaignSeed): SimCampaign {
    const name = nameOrThrow('addCampaign', seed.name);
    const id = this.freshId(seed.id, this.campaigns, 'campaign');
    const t = new Date(this.now()).toISOString();
    const campaign: SimCampaign = {
      id,
      name,
      description: seed.description ?? '',
      isApiCampaign: seed.isApiCampaign ?? false,
      archived: seed.archived ?? false,
      draft: seed.draft ?? false,
      createdAt: isoOrThrow(
        'createdAt',
        seed.createdAt ?? (this.seed.campaigns.includes(seed) ? SEED_TIME : t),
      ),
      lastEdited: isoOrThrow(
        'lastEdited',
        seed.lastEdited ?? (this.seed.campaigns.includes(seed) ? SEED_EDITED : t),
      ),
      scheduleType: seed.scheduleType ?? (seed.isApiCampaign === true ? 'api_triggered' : 'time_based'),
      channels: [...(seed.channels ?? ['email'])],
      tags: [...(seed.tags ?? [])],
      teams: [...(seed.teams ?? [])],
      firstSent: seed.firstSent ?? null,
      lastSent: seed.lastSent ?? null,
      messages: seed.messages ?? defaultMessages(id, seed.channels ?? ['email']),
      conversionBehaviors: seed.conversionBehaviors ?? [{ type: 'Opens App', window: 259_200 }],
    };
    this.campaigns.push(campaign);
    return campaign;
  }

  /** Adds a Canvas (`enabled: false` makes it paused); returns the stored record. */
  addCanvas(seed: CanvasSeed): SimCanvas {
    const name = nameOrThrow('addCanvas', seed.name);
    const id = this.freshId(seed.id, this.canvases, 'canvas');
    const seeded = this.seed.canvases.includes(seed);
    const t = new Date(this.now()).toISOString();
    const channels = [...(seed.channels ?? ['email'])];
    const canvas: SimCanvas = {
      id,
      name,
      description: seed.description ?? '',
      archived: seed.archived ?? false,
      draft: seed.draft ?? false,
      enabled: seed.enabled ?? true,
      createdAt: isoOrThrow('createdAt', seed.createdAt ?? (seeded ? SEED_TIME : t)),
      lastEdited: isoOrThrow('lastEdited', seed.lastEdited ?? (seeded ? SEED_EDITED : t)),
      scheduleType: seed.scheduleType ?? 'api_triggered',
      firstEntry: seed.firstEntry ?? null,
      lastEntry: seed.lastEntry ?? null,
      channels,
      tags: [...(seed.tags ?? [])],
      teams: [...(seed.teams ?? [])],
      variants: seed.variants ?? [
        { name: 'Variant 1', id: `${id}-variant-1`, first_step_ids: [`${id}-step-1`] },
      ],
      steps: seed.steps ?? [
        { name: 'Step 1', type: 'message', id: `${id}-step-1`, next_step_ids: [], channels },
      ],
    };
    this.canvases.push(canvas);
    return canvas;
  }

  addSegment(seed: SegmentSeed): SimSegment {
    const name = nameOrThrow('addSegment', seed.name);
    const id = this.freshId(seed.id, this.segments, 'segment');
    const seeded = this.seed.segments.includes(seed);
    const t = new Date(this.now()).toISOString();
    const segment: SimSegment = {
      id,
      name,
      description: seed.description ?? '',
      textDescription: seed.textDescription ?? '',
      analyticsTrackingEnabled: seed.analyticsTrackingEnabled ?? false,
      archived: seed.archived ?? false,
      createdAt: isoOrThrow('createdAt', seed.createdAt ?? (seeded ? SEED_TIME : t)),
      lastEdited: isoOrThrow('lastEdited', seed.lastEdited ?? (seeded ? SEED_EDITED : t)),
      tags: [...(seed.tags ?? [])],
      teams: [...(seed.teams ?? [])],
    };
    this.segments.push(segment);
    return segment;
  }

  addSubscriptionGroup(seed: SubscriptionGroupSeed): SimSubscriptionGroup {
    const name = nameOrThrow('addSubscriptionGroup', seed.name);
    if (!CHANNELS.includes(seed.channel)) {
      throw new TypeError(
        `addSubscriptionGroup: channel must be 'email' or 'sms', got ${String(seed.channel)}`,
      );
    }
    const group: SimSubscriptionGroup = {
      id: this.freshId(seed.id, this.subscriptionGroups, 'subscription group'),
      name,
      channel: seed.channel,
    };
    this.subscriptionGroups.push(group);
    return group;
  }

  /** Event names `/events/list` shows even when no user has tracked them. */
  addEventNames(...names: string[]): void {
    for (const n of names) this.extraEventNames.add(n);
  }

  /** Product ids `/purchases/product_list` shows even when nobody has bought them. */
  addProductIds(...ids: string[]): void {
    for (const id of ids) this.extraProductIds.add(id);
  }

  get eventNames(): string[] {
    return [...this.extraEventNames];
  }

  get productIds(): string[] {
    return [...this.extraProductIds];
  }

  campaign(id: string): SimCampaign | undefined {
    return this.campaigns.find((c) => c.id === id);
  }

  canvas(id: string): SimCanvas | undefined {
    return this.canvases.find((c) => c.id === id);
  }

  segment(id: string): SimSegment | undefined {
    return this.segments.find((s) => s.id === id);
  }

  subscriptionGroup(id: string): SimSubscriptionGroup | undefined {
    return this.subscriptionGroups.find((g) => g.id === id);
  }

  private freshId(wanted: string | undefined, existing: ReadonlyArray<{ id: string }>, what: string): string {
    if (wanted === undefined) return randomUUID();
    if (typeof wanted !== 'string' || wanted.length === 0)
      throw new TypeError(`${what} id must be a non-empty string`);
    if (existing.some((e) => e.id === wanted))
      throw new TypeError(`a ${what} with id ${wanted} already exists`);
    return wanted;
  }
}

/** One variation per channel, the shape `/campaigns/details` lists under `messages`. */
function defaultMessages(id: string, channels: readonly string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  channels.forEach((channel, i) => {
    out[`${id}-variation-${i + 1}`] = { channel, name: `Variant ${i + 1}` };
  });
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
