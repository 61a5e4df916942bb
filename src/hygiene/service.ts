import { ANONYMOUS_CALLER } from '../budget/shares.js';
import type { BrazeClient, SendOptions } from '../braze/client.js';
import { objects, str, toDate, type Obj } from '../braze/coerce.js';
import { ENDPOINTS, maxItemsOf, type EndpointName } from '../braze/endpoints.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import { BadInputError } from '../errors.js';
import type {
  EmailHardBouncePage,
  EmailSubscriptionState,
  EmailUnsubscribePage,
  InvalidPhoneNumberPage,
  InvalidPhoneReason,
  QueryEmailHardBouncesArgs,
  QueryEmailUnsubscribesArgs,
  QueryInvalidPhoneNumbersArgs,
} from '../generated/graphql.js';
import { isEmailAddress } from '../users/identifiers.js';
import { laneItemResults, type ItemResultShape, type LaneWrite } from '../users/itemResults.js';

/**
 * Email and SMS list hygiene (docs/braze-facts.md §3.19): the hard bounce, unsubscribe and
 * invalid-number lists read a page at a time, and the writes that change them. Every endpoint is
 * in Braze's default group (§2 row 8).
 *
 * Reads are one GET per GraphQL page: Braze's own `limit`/`offset` paging, passed through, with
 * one entry more than asked for (below Braze's 500) so that `hasNextPage` is exact. Writes take lists of addresses
 * (or numbers) and go through process-wide lanes, 50 to a request, so concurrent callers share
 * requests; each address gets its own result. Braze reports no per-address errors on these
 * endpoints: a request it refuses as a whole is split by the lane until the address it refuses
 * stands alone, and only that address fails.
 */

/** One address for /email/status and the state it is set to (one state per request). */
interface StatusItem {
  email: string;
  state: 'opted_in' | 'subscribed' | 'unsubscribed';
}

/** The process-wide lanes of the list writes, created once per gateway. */
export class HygieneLanes {
  readonly emailStatus: Delivery<StatusItem, void>;
  readonly bounceRemove: Delivery<string, void>;
  readonly spamRemove: Delivery<string, void>;
  readonly blocklist: Delivery<string, void>;
  readonly invalidPhoneRemove: Delivery<string, void>;

  constructor(engine: DeliveryEngine) {
    // Braze takes `email` as one string or an array of up to 50; the lanes always send the array.
    const list = (endpoint: EndpointName, field: string) =>
      engine.items<string, void>({
        endpoint,
        body: (items) => ({ [field]: items }),
        result: () => undefined,
      });
    this.emailStatus = engine.items<StatusItem, void>({
      endpoint: 'email.status',
      // One state per request.
      partition: (item) => item.state,
      body: (items) => ({ email: items.map((i) => i.email), subscription_state: items[0]!.state }),
      result: () => undefined,
    });
    this.bounceRemove = list('email.bounce.remove', 'email');
    this.spamRemove = list('email.spam.remove', 'email');
    this.blocklist = list('email.blocklist', 'email');
    this.invalidPhoneRemove = list('sms.invalid_phone_numbers.remove', 'phone_numbers');
  }
}

/** What a page of any of the three lists answers. */
export interface PageShape<T> {
  entries: T[];
  pageInfo: { offset: number; limit: number; hasNextPage: boolean; nextOffset: number | null };
}

const STATES: Record<EmailSubscriptionState, StatusItem['state']> = {
  OPTED_IN: 'opted_in',
  SUBSCRIBED: 'subscribed',
  UNSUBSCRIBED: 'unsubscribed',
};

const REASONS: Record<string, InvalidPhoneReason> = {
  provider_error: 'PROVIDER_ERROR',
  deactivated: 'DEACTIVATED',
};

/** E.164: an optional `+`, then up to 15 digits not starting with 0 (Braze's examples omit the `+`). */
const E164 = /^\+?[1-9]\d{1,14}$/;

const DAY_MS = 86_400_000;

const EMAILS: ListArgument = { argName: 'emails', check: (v, p) => checkEmail(v, p), label: 'email' };
const PHONES: ListArgument = { argName: 'phoneNumbers', check: (v, p) => checkPhone(v, p), label: 'phone' };

/** `YYYY-MM-DD` of a Date scalar (parsed as midnight UTC). */
const ymd = (d: Date): string => d.toISOString().slice(0, 10);

/** A list argument of the writes: its name, how one value is checked, how a message names it. */
interface ListArgument {
  argName: string;
  check: (value: string, path: string) => void;
  label: string;
}

export class HygieneService {
  constructor(
    private readonly client: BrazeClient,
    private readonly lanes: HygieneLanes,
    private readonly deadlineMs: number,
    /** Most items one operation's list may hold (GRAPHQL_MAX_LIST_ITEMS). */
    private readonly maxItems: number,
    /** Whose items these are (fair shares): a gateway key's name, or `anonymous`. */
    private readonly caller: string = ANONYMOUS_CALLER,
  ) {}

  /** GET /email/hard_bounces: one page, newest first. */
  async emailHardBounces(args: QueryEmailHardBouncesArgs): Promise<EmailHardBouncePage> {
    const { entries, pageInfo } = await this.#emailPage('email.hard_bounces', args, 'hard_bounced_at');
    return { entries: entries.map(({ email, at }) => ({ email, hardBouncedAt: at })), pageInfo };
  }

  /** GET /email/unsubscribes: one page, in `sortDirection` order. */
  async emailUnsubscribes(args: QueryEmailUnsubscribesArgs): Promise<EmailUnsubscribePage> {
    const order = { sort_direction: args.sortDirection === 'ASC' ? 'asc' : 'desc' };
    // Braze writes these times as `2020-06-17 19:27:44 +0000` (observed), which toDate reads.
    const { entries, pageInfo } = await this.#emailPage('email.unsubscribes', args, 'unsubscribed_at', order);
    return { entries: entries.map(({ email, at }) => ({ email, unsubscribedAt: at })), pageInfo };
  }

  /** GET /sms/invalid_phone_numbers: one page, newest first. */
  async invalidPhoneNumbers(args: QueryInvalidPhoneNumbersArgs): Promise<InvalidPhoneNumberPage> {
    const endpoint: EndpointName = 'sms.invalid_phone_numbers';
    const page = pageArgs(args.first, args.offset, endpoint);
    const query: Query = { ...limitQuery(page) };
    if (args.phoneNumbers == null) Object.assign(query, rangeOf(args));
    else {
      // Braze would disregard the range for the numbers: refused rather than silently ignored.
      if (args.startDate != null || args.endDate != null) {
        throw new BadInputError('give either phoneNumbers or a date range, not both.', 'phoneNumbers');
      }
      const phones = args.phoneNumbers;
      const max = maxItemsOf(endpoint);
      if (phones.length === 0 || phones.length > max) {
        throw new BadInputError(`give 1 to ${max} numbers (got ${phones.length}).`, 'phoneNumbers');
      }
      phones.forEach((p, i) => checkPhone(p, `phoneNumbers[${i}]`));
      query['phone_numbers[]'] = phones;
    }
    if (args.reason != null) query.reason = args.reason.toLowerCase();
    const body = await this.#get(endpoint, query);
    const entries = objects(body.sms).flatMap((e) => {
      const phone = str(e.phone);
      if (phone === null) return [];
      const reason = str(e.reason);
      return [
        {
          phone,
          invalidDetectedAt: toDate(e.invalid_detected_at),
          reason: reason === null ? null : (REASONS[reason] ?? null),
        },
      ];
    });
    return paged(entries, page);
  }

  setEmailSubscriptionStatus(
    emails: readonly string[],
    state: EmailSubscriptionState,
  ): Promise<ItemResultShape[]> {
    return this.#each(EMAILS, emails, this.lanes.emailStatus, (email) => ({ email, state: STATES[state] }));
  }

  removeEmailBounces(emails: readonly string[]): Promise<ItemResultShape[]> {
    return this.#each(EMAILS, emails, this.lanes.bounceRemove, (email) => email);
  }

  removeEmailSpam(emails: readonly string[]): Promise<ItemResultShape[]> {
    return this.#each(EMAILS, emails, this.lanes.spamRemove, (email) => email);
  }

  blocklistEmails(emails: readonly string[]): Promise<ItemResultShape[]> {
    return this.#each(EMAILS, emails, this.lanes.blocklist, (email) => email);
  }

  removeInvalidPhoneNumbers(phones: readonly string[]): Promise<ItemResultShape[]> {
    return this.#each(PHONES, phones, this.lanes.invalidPhoneRemove, (phone) => phone);
  }

  /** One result per address or number: each checked, then the valid ones queued on `lane` at once. */
  #each<W>(
    kind: ListArgument,
    values: readonly string[],
    lane: LaneWrite<string, W>['lane'],
    item: (value: string) => W,
  ): Promise<ItemResultShape[]> {
    const write: LaneWrite<string, W> = {
      item: (value, path) => {
        kind.check(value, path);
        return item(value);
      },
      lane,
    };
    return laneItemResults(
      values,
      kind.argName,
      this.maxItems,
      write,
      this.deadlineMs,
      this.caller,
      (value) => `${kind.label} ${value}`,
    );
  }

  /** One page of an address list: `{email, <timeField>}` entries, those without an address dropped. */
  async #emailPage(
    endpoint: 'email.hard_bounces' | 'email.unsubscribes',
    args: QueryEmailHardBouncesArgs,
    timeField: string,
    extra: Query = {},
  ): Promise<PageShape<{ email: string; at: Date | null }>> {
    const { query, page } = emailQuery(args, endpoint);
    const body = await this.#get(endpoint, { ...query, ...extra });
    const entries = objects(body.emails).flatMap((e) => {
      const email = str(e.email);
      return email === null ? [] : [{ email, at: toDate(e[timeField]) }];
    });
    return paged(entries, page);
  }

  async #get(endpoint: EndpointName, query: Query): Promise<Obj> {
    return (await this.client.send(endpoint, undefined, { deadlineMs: this.deadlineMs, query })).body;
  }
}

type Query = NonNullable<SendOptions['query']>;

interface PageArgs {
  offset: number;
  limit: number;
  /**
   * Entries asked of Braze: one more than `limit` where Braze allows it, to see past the page;
   * undefined for a lookup of one address, which sends no paging at all.
   */
  ask?: number;
}

/** `first` (1 to the endpoint's page size) and `offset` (≥ 0), checked. */
function pageArgs(
  first: number | null | undefined,
  offset: number | null | undefined,
  endpoint: EndpointName,
): PageArgs {
  const max = ENDPOINTS[endpoint].pageSize ?? 100;
  const limit = first ?? 100;
  const from = offset ?? 0;
  if (limit < 1 || limit > max) {
    throw new BadInputError(`must be between 1 and ${max} (Braze's largest page); got ${limit}.`, 'first');
  }
  if (from < 0) throw new BadInputError(`must not be negative; got ${from}.`, 'offset');
  return { offset: from, limit, ask: Math.min(limit + 1, max) };
}

const limitQuery = (page: PageArgs): Query => ({ limit: page.ask, offset: page.offset });

/** Tomorrow's midnight UTC: the default end of a range, so that it includes today. */
const tomorrow = (): Date => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);

/**
 * `start_date`/`end_date` from the Date arguments. Braze reads both as midnight UTC, so the
 * range is `[startDate, endDate)`; `endDate` defaults to tomorrow, which includes today.
 */
function rangeOf(args: { startDate?: Date | null; endDate?: Date | null }): Query {
  const end = args.endDate ?? tomorrow();
  if (args.startDate == null) {
    throw new BadInputError(
      'give a startDate (and optionally an endDate), or look one item up.',
      'startDate',
    );
  }
  if (args.startDate.getTime() >= end.getTime()) {
    const why = args.endDate == null ? ', tomorrow by default' : '';
    throw new BadInputError(
      `must be earlier than endDate (${ymd(end)}${why}); got ${ymd(args.startDate)}.`,
      'startDate',
    );
  }
  return { start_date: ymd(args.startDate), end_date: ymd(end) };
}

/**
 * The query of /email/hard_bounces and /email/unsubscribes: a date range and a page, or one
 * `email`. A lookup still sends the `end_date` Braze requires (by default tomorrow's) but no
 * `limit` or `offset`: Braze warns they can make it answer empty, and it answers one entry at
 * most (§3.19).
 */
function emailQuery(
  args: QueryEmailHardBouncesArgs,
  endpoint: 'email.hard_bounces' | 'email.unsubscribes',
): { query: Query; page: PageArgs } {
  const page = pageArgs(args.first, args.offset, endpoint);
  if (args.email == null) return { query: { ...rangeOf(args), ...limitQuery(page) }, page };
  checkEmail(args.email, 'email');
  if (page.offset > 0) throw new BadInputError('does not apply to a lookup by email.', 'offset');
  if (args.startDate != null) {
    // Braze would disregard the range for the address: refused rather than silently ignored.
    throw new BadInputError('give either email or a date range, not both.', 'startDate');
  }
  const end = args.endDate ?? tomorrow();
  return { query: { end_date: ymd(end), email: args.email }, page: { ...page, ask: undefined } };
}

/** A page from what Braze answered: at most `limit` entries, and whether more follow. */
function paged<T>(entries: T[], page: PageArgs): PageShape<T> {
  // Asked one more than the page: more follow exactly when it came. Asked only the page
  // (`first` at Braze's maximum): a full page may have more, as Braze's own paging rule says.
  const hasNextPage =
    page.ask !== undefined &&
    (entries.length > page.limit || (page.ask === page.limit && entries.length === page.limit));
  return {
    entries: entries.slice(0, page.limit),
    pageInfo: {
      offset: page.offset,
      limit: page.limit,
      hasNextPage,
      nextOffset: hasNextPage ? page.offset + page.limit : null,
    },
  };
}

function checkEmail(email: string, path: string): void {
  if (!isEmailAddress(email)) {
    throw new BadInputError(`${JSON.stringify(email)} is not an email address.`, path);
  }
}

function checkPhone(phone: string, path: string): void {
  if (!E164.test(phone)) {
    throw new BadInputError(
      `${JSON.stringify(phone)} is not an E.164 phone number (digits only, optional leading +, e.g. +14155550123).`,
      path,
    );
  }
}
