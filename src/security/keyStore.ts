import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { ENDPOINTS } from '../braze/endpoints.js';

/**
 * Gateway keys: how clients authenticate to the gateway, modelled on Braze's own REST keys
 * (docs/braze-facts.md §1.2). A key carries a list of permissions named like Braze's (`users.track`,
 * `users.export.ids`…) and, optionally, an IP allowlist. The gateway stores only the SHA-256 of
 * each key, so a leaked config or log line never holds a usable key.
 *
 * ## Configuration
 *
 * `GATEWAY_KEYS` holds one entry per line, or entries separated by `;`. Blank lines and lines
 * starting with `#` are ignored. Each entry is
 *
 * ```
 * name:sha256:permissions[:allowIps]
 * ```
 *
 * - `name` (optional, may be empty): letters, digits, `_`, `.`, `-`; shown in logs and errors.
 *   An empty name becomes `key-<first 8 hex digits of the hash>`.
 * - `sha256`: the 64 hex digits of SHA-256 over the whole key (`npx tsx src/cli/createKey.ts`
 *   prints it).
 * - `permissions`: comma-separated permission names (see {@link GATEWAY_PERMISSIONS}) or `*`.
 * - `allowIps` (optional): comma-separated IPv4/IPv6 addresses or CIDRs. Everything after the
 *   third `:` belongs to this field, so IPv6 ranges need no quoting:
 *   `ops:<hash>:users.track:10.0.0.0/8,::1,fd00::/8`.
 *
 * `GATEWAY_KEYS_FILE` names a JSON file holding an array of
 * `{ "name": string, "sha256": string, "permissions": string[], "allowIps"?: string[], "shares"?:
 * { [group]: weight } }` (fair shares of the budget, see budget/shares.ts).
 * Both may be set; their keys are merged. Names and hashes must be unique across both.
 *
 * With no key configured the gateway runs open (every caller is an anonymous principal with
 * every permission); {@link checkOpenAccess} decides whether that is allowed.
 *
 * Behind a load balancer, `GATEWAY_TRUSTED_PROXIES` (comma-separated addresses or CIDRs) says
 * whose `X-Forwarded-For` to believe when checking allowlists; see {@link clientAddress}.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Grants every permission, present and future. */
export const ALL_PERMISSIONS = '*';

/** The gateway-only permission for `Query.rateBudget`: the budget is not a Braze endpoint. */
export const BUDGET_READ_PERMISSION = 'budget.read';

/**
 * Every permission a gateway key may carry: the Braze permission of each endpoint the gateway
 * calls (read from the endpoint table, so a new endpoint brings its permission along) plus
 * `budget.read`.
 */
export const GATEWAY_PERMISSIONS: readonly string[] = [
  ...new Set([...Object.values(ENDPOINTS).map((e) => e.permission), BUDGET_READ_PERMISSION]),
].sort();

const KNOWN_PERMISSIONS = new Set(GATEWAY_PERMISSIONS);

/** Prefix of every generated key: makes a pasted key recognisable (and greppable in leaks). */
export const GATEWAY_KEY_PREFIX = 'bgw_';

/** One configured key. The key itself is never held, only its hash. */
export interface GatewayKey {
  /** Safe to log. */
  name: string;
  /** SHA-256 of the key, 32 bytes. */
  sha256: Buffer;
  /** Permission names, or `*`. */
  permissions: ReadonlySet<string>;
  /** The allowlist as written (for display), or undefined when any address may use the key. */
  allowIps: readonly string[] | undefined;
  /** The allowlist, compiled; undefined when any address may use the key. */
  allowList: BlockList | undefined;
  /** GATEWAY_KEYS_FILE's `shares` (weight per rate group), checked with GATEWAY_SHARES (budget/shares.ts). */
  shares?: Readonly<Record<string, unknown>>;
}

/** Who is calling, once authenticated. */
export interface Principal {
  /** The key's name, or `anonymous` when the gateway runs open. */
  name: string;
  /** True when no key is configured and the caller presented none that counts. */
  anonymous: boolean;
  /** Permission names, or `*` for all. */
  permissions: ReadonlySet<string>;
  /** Whether this caller holds `permission` (directly or through `*`). */
  can(permission: string): boolean;
}

/** A new random key: `bgw_` and 32 random bytes in base64url (43 characters). */
export function generateGatewayKey(): string {
  return `${GATEWAY_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 hex digest of a key, as configured in GATEWAY_KEYS. */
export function hashGatewayKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function makePrincipal(name: string, permissions: ReadonlySet<string>, anonymous: boolean): Principal {
  return {
    name,
    anonymous,
    permissions,
    can: (permission) => permissions.has(ALL_PERMISSIONS) || permissions.has(permission),
  };
}

/** The caller when the gateway runs open: every permission. */
export const ANONYMOUS_PRINCIPAL: Principal = makePrincipal('anonymous', new Set([ALL_PERMISSIONS]), true);

// ---------------------------------------------------------------------------------------------
// Parsing

/** A key entry before validation, from either source. */
interface RawEntry {
  /** How messages name the entry, e.g. `GATEWAY_KEYS entry 2 ("backoffice")`. */
  where: string;
  name: string | undefined;
  sha256: unknown;
  permissions: unknown;
  allowIps: unknown;
  shares?: Readonly<Record<string, unknown>>;
}

const NAME_RE = /^[\w.-]{1,64}$/;
const HEX_RE = /^[0-9a-f]{64}$/i;

/** Whether `name` may name a key: 1 to 64 letters, digits, `_`, `.` or `-` (it appears in logs). */
export function isValidKeyName(name: string): boolean {
  return showableName(name);
}

/** A name fit for messages: valid, and not what a pasted key looks like. */
function showableName(name: string): boolean {
  return NAME_RE.test(name) && !name.startsWith(GATEWAY_KEY_PREFIX);
}

/** Whether `permission` is one a key may carry: a name from {@link GATEWAY_PERMISSIONS}, or `*`. */
export function isKnownPermission(permission: string): boolean {
  return permission === ALL_PERMISSIONS || KNOWN_PERMISSIONS.has(permission);
}
const FILE_FIELDS = ['name', 'sha256', 'permissions', 'allowIps', 'shares'];

/**
 * Reads GATEWAY_KEYS and GATEWAY_KEYS_FILE. Returns the keys that are valid and one message per
 * problem, in the style of `loadConfig` (the caller adds them to its ConfigError). A message names
 * the entry by position and name and says what was expected; it never repeats a hash field's
 * value, because a mistaken user may have pasted the key itself there.
 */
export function parseGatewayKeys(
  env: Env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { keys: GatewayKey[]; problems: string[] } {
  const problems: string[] = [];
  const raw: RawEntry[] = [];

  const inline = env.GATEWAY_KEYS;
  if (inline !== undefined && inline.trim() !== '') raw.push(...splitInline(inline, problems));

  const file = env.GATEWAY_KEYS_FILE?.trim();
  if (file !== undefined && file !== '') raw.push(...readKeysFile(file, readFile, problems));

  const keys: GatewayKey[] = [];
  const byName = new Map<string, string>();
  const byHash = new Map<string, string>();
  for (const entry of raw) {
    const key = validateEntry(entry, problems);
    if (key === undefined) continue;
    const hex = key.sha256.toString('hex');
    const sameHash = byHash.get(hex);
    const sameName = byName.get(key.name);
    if (sameHash !== undefined) {
      problems.push(`${entry.where} has the same hash as ${sameHash}: each key must be configured once.`);
      continue;
    }
    if (sameName !== undefined) {
      problems.push(`${entry.where} has the same name as ${sameName}: key names must be unique.`);
      continue;
    }
    byHash.set(hex, entry.where);
    byName.set(key.name, entry.where);
    keys.push(key);
  }
  return { keys, problems };
}

function splitInline(value: string, problems: string[]): RawEntry[] {
  const entries: RawEntry[] = [];
  let index = 0;
  for (const part of value.split(/[\n;]/)) {
    const text = part.trim();
    if (text === '' || text.startsWith('#')) continue;
    index += 1;
    // Split on the first three colons only: the allowlist may hold IPv6 addresses.
    const first = text.indexOf(':');
    const second = first < 0 ? -1 : text.indexOf(':', first + 1);
    const third = second < 0 ? -1 : text.indexOf(':', second + 1);
    const name = first < 0 ? text : text.slice(0, first).trim();
    // Without two separators the text may be a pasted key: then it is never shown, even as a name.
    const where = `GATEWAY_KEYS entry ${index}${second >= 0 && showableName(name) ? ` (${JSON.stringify(name)})` : ''}`;
    if (second < 0) {
      // Never echo the entry: with a missing separator it may be the raw key.
      problems.push(
        `${where} is not valid: expected name:sha256:permissions[:allowIps], e.g. backoffice:<64 hex digits>:users.track,users.export.ids:10.0.0.0/8.`,
      );
      continue;
    }
    const permissions = text.slice(second + 1, third < 0 ? undefined : third).trim();
    const allowIps = third < 0 ? undefined : text.slice(third + 1).trim();
    entries.push({
      where,
      name: name === '' ? undefined : name,
      sha256: text.slice(first + 1, second).trim(),
      permissions: permissions === '' ? [] : permissions.split(',').map((p) => p.trim()),
      allowIps:
        allowIps === undefined || allowIps === '' ? undefined : allowIps.split(',').map((c) => c.trim()),
    });
  }
  return entries;
}

function readKeysFile(path: string, readFile: (path: string) => string, problems: string[]): RawEntry[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`GATEWAY_KEYS_FILE=${JSON.stringify(path)} cannot be read${code ? ` (${code})` : ''}.`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(
      `GATEWAY_KEYS_FILE=${JSON.stringify(path)} is not valid JSON: expected an array of {"name", "sha256", "permissions", "allowIps"} objects.`,
    );
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(
      `GATEWAY_KEYS_FILE=${JSON.stringify(path)} must hold a JSON array of {"name", "sha256", "permissions", "allowIps"} objects.`,
    );
    return [];
  }
  const entries: RawEntry[] = [];
  parsed.forEach((item: unknown, i) => {
    const obj = typeof item === 'object' && item !== null && !Array.isArray(item) ? item : undefined;
    const rec = (obj ?? {}) as Record<string, unknown>;
    const name = typeof rec.name === 'string' ? rec.name : undefined;
    const where = `GATEWAY_KEYS_FILE entry ${i}${name !== undefined && showableName(name) ? ` (${JSON.stringify(name)})` : ''}`;
    if (obj === undefined) {
      problems.push(`${where} is not an object: expected {"name", "sha256", "permissions", "allowIps"}.`);
      return;
    }
    const unknown = Object.keys(rec).filter((k) => !FILE_FIELDS.includes(k));
    if (unknown.length > 0) {
      problems.push(
        `${where} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: expected ${FILE_FIELDS.join(', ')}.`,
      );
      return;
    }
    if (rec.name !== undefined && typeof rec.name !== 'string') {
      problems.push(`${where}: "name" must be a string.`);
      return;
    }
    if (!Array.isArray(rec.permissions)) {
      problems.push(`${where}: "permissions" must be an array of permission names, e.g. ["users.track"].`);
      return;
    }
    if (rec.allowIps !== undefined && !Array.isArray(rec.allowIps)) {
      problems.push(`${where}: "allowIps" must be an array of addresses or CIDRs, e.g. ["10.0.0.0/8"].`);
      return;
    }
    const shares = rec.shares;
    if (shares !== undefined && (typeof shares !== 'object' || shares === null || Array.isArray(shares))) {
      problems.push(
        `${where}: "shares" must be an object of weights per rate group, e.g. {"users.track": 70}.`,
      );
      return;
    }
    entries.push({
      shares: shares as Readonly<Record<string, unknown>> | undefined,
      where,
      name: name === '' ? undefined : name,
      sha256: rec.sha256,
      permissions: rec.permissions,
      allowIps: rec.allowIps,
    });
  });
  return entries;
}

function validateEntry(entry: RawEntry, problems: string[]): GatewayKey | undefined {
  const before = problems.length;
  const { where } = entry;

  if (entry.name !== undefined && entry.name.startsWith(GATEWAY_KEY_PREFIX)) {
    problems.push(`${where} has a name that looks like a gateway key: keys go nowhere but clients' headers.`);
  } else if (entry.name !== undefined && !NAME_RE.test(entry.name)) {
    problems.push(
      `${where} has an invalid name: expected 1 to 64 letters, digits, "_", "." or "-" (names appear in logs).`,
    );
  }

  const hashText = typeof entry.sha256 === 'string' ? entry.sha256.trim() : '';
  if (!HEX_RE.test(hashText)) {
    const looksLikeKey = hashText.startsWith(GATEWAY_KEY_PREFIX);
    problems.push(
      looksLikeKey
        ? `${where} holds a raw gateway key where its SHA-256 belongs: configure the hash (npx tsx src/cli/createKey.ts prints it), and treat that key as leaked.`
        : `${where} has an invalid sha256: expected the 64 hex digits of the key's SHA-256.`,
    );
  }

  const permissions = new Set<string>();
  const list = entry.permissions as unknown[];
  const unknown: string[] = [];
  for (const p of list) {
    if (typeof p !== 'string' || p.trim() === '') continue;
    const perm = p.trim();
    if (isKnownPermission(perm)) permissions.add(perm);
    else unknown.push(perm);
  }
  if (unknown.length > 0) {
    problems.push(
      `${where} has unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u.slice(0, 64))).join(', ')}: expected ${ALL_PERMISSIONS} or any of ${GATEWAY_PERMISSIONS.join(', ')}.`,
    );
  } else if (permissions.size === 0) {
    problems.push(
      `${where} has no permissions: list at least one (comma-separated in GATEWAY_KEYS), or ${ALL_PERMISSIONS} for all.`,
    );
  }

  let allowList: BlockList | undefined;
  let allowIps: string[] | undefined;
  if (entry.allowIps !== undefined) {
    allowList = new BlockList();
    allowIps = [];
    for (const item of entry.allowIps as unknown[]) {
      const text = typeof item === 'string' ? item.trim() : '';
      if (text === '') continue;
      const range = parseCidr(text);
      if (range === undefined) {
        problems.push(
          `${where} has an invalid allowIps item ${JSON.stringify(String(item).slice(0, 64))}: expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8, 192.168.1.7 or fd00::/8.`,
        );
        continue;
      }
      allowList.addSubnet(range.address, range.prefix, range.family);
      allowIps.push(text);
    }
    if (allowIps.length === 0) {
      allowList = undefined;
      allowIps = undefined;
    }
  }

  if (problems.length > before) return undefined;
  const sha256 = Buffer.from(hashText.toLowerCase(), 'hex');
  return {
    name: entry.name ?? `key-${sha256.toString('hex').slice(0, 8)}`,
    sha256,
    permissions,
    allowIps,
    allowList,
    ...(entry.shares === undefined ? {} : { shares: entry.shares }),
  };
}

/** `10.0.0.0/8`, `::1`, `fd00::/8` → address, prefix length and family; undefined when invalid. */
export function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  // Zone ids (fe80::1%eth0) name an interface, not a range: refused rather than half-honoured.
  if (version === 0 || address.includes('%')) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

// ---------------------------------------------------------------------------------------------
// Start-up rule

/** Whether the gateway may start without keys, and what to say about it. */
export type OpenAccessDecision =
  { open: false; warning?: string } | { open: true; warning: string } | { open: true; problem: string };

/**
 * The start-up rule for running without gateway keys. With keys configured, every request
 * needs one. Without keys the gateway runs open, with a warning to log, except when
 * NODE_ENV=production: then it refuses to start (a `problem` for the ConfigError) unless
 * GATEWAY_ALLOW_ANONYMOUS=true says that an open production gateway is intended (e.g. one
 * reachable only from a private network).
 */
export function checkOpenAccess(env: Env, keyCount: number): OpenAccessDecision {
  const rawAllow = env.GATEWAY_ALLOW_ANONYMOUS?.trim().toLowerCase();
  let allow = false;
  if (rawAllow !== undefined && rawAllow !== '') {
    if (['true', '1', 'yes'].includes(rawAllow)) allow = true;
    else if (!['false', '0', 'no'].includes(rawAllow)) {
      return {
        open: true,
        problem: `GATEWAY_ALLOW_ANONYMOUS=${JSON.stringify(env.GATEWAY_ALLOW_ANONYMOUS)} is not valid: expected true or false.`,
      };
    }
  }
  if (keyCount > 0) {
    return allow
      ? {
          open: false,
          warning:
            'GATEWAY_ALLOW_ANONYMOUS=true has no effect while gateway keys are configured: every request needs a key.',
        }
      : { open: false };
  }
  if (env.NODE_ENV === 'production' && !allow) {
    return {
      open: true,
      problem:
        'No gateway keys are configured (GATEWAY_KEYS or GATEWAY_KEYS_FILE) and NODE_ENV=production: refusing to start a gateway anyone can call. Configure keys (npx tsx src/cli/createKey.ts), or set GATEWAY_ALLOW_ANONYMOUS=true if an open gateway is intended.',
    };
  }
  return {
    open: true,
    warning:
      'No gateway keys are configured: the gateway is open, every caller has every permission. Set GATEWAY_KEYS or GATEWAY_KEYS_FILE to require keys.',
  };
}

/** Gateway keys and the open-access rule, read together: what the server needs at start-up. */
export interface GatewayAuthConfig {
  keys: GatewayKey[];
  /** True when no key is configured: callers are anonymous with every permission. */
  open: boolean;
  /** One line each for the log at start-up (e.g. "running open"). */
  warnings: string[];
  /** Config problems, for the ConfigError. */
  problems: string[];
}

/** {@link parseGatewayKeys} then {@link checkOpenAccess}. */
export function loadGatewayAuth(env: Env, readFile?: (path: string) => string): GatewayAuthConfig {
  const { keys, problems } = parseGatewayKeys(env, readFile);
  const warnings: string[] = [];
  // Keys were meant to be configured but all were refused: the problems already say why, and
  // the open-access rule must not add "running open" on top.
  const intended = problems.length > 0 ? Math.max(1, keys.length) : keys.length;
  const decision = checkOpenAccess(env, intended);
  if ('problem' in decision) problems.push(decision.problem);
  if ('warning' in decision && decision.warning !== undefined) warnings.push(decision.warning);
  return { keys, open: keys.length === 0 && problems.length === 0 && decision.open, warnings, problems };
}
