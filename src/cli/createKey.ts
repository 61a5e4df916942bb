import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ALL_PERMISSIONS,
  GATEWAY_PERMISSIONS,
  generateGatewayKey,
  hashGatewayKey,
  isKnownPermission,
  isValidKeyName,
  parseCidr,
  parseGatewayKeys,
} from '../security/keyStore.js';

/**
 * Creates a gateway key:
 *
 *   npx tsx src/cli/createKey.ts --name backoffice --permissions users.track,users.export.ids \
 *     [--allow-ips 10.0.0.0/8,fd00::/8]
 *
 * Prints the key once (the gateway never stores it, so it cannot be shown again) and what to add
 * to the configuration: a GATEWAY_KEYS entry and a GATEWAY_KEYS_FILE item, both holding the
 * key's SHA-256 rather than the key.
 */

const USAGE = `Usage: npx tsx src/cli/createKey.ts --name <name> --permissions <p1,p2|*> [--allow-ips <cidr1,cidr2>]

  --name         how logs and errors name the key: letters, digits, _ . - (at most 64)
  --permissions  comma-separated, or * for all. Known: ${GATEWAY_PERMISSIONS.join(', ')}
  --allow-ips    optional comma-separated IPv4/IPv6 addresses or CIDRs the key may be used from
  --json         print only the GATEWAY_KEYS_FILE item, as JSON (the key goes to stderr)
`;

interface Output {
  write(text: string): unknown;
}

/**
 * Runs the command; returns the exit code (0 done, 2 bad arguments). `out` gets the result,
 * `err` the usage and problems.
 */
export function runCreateKey(argv: readonly string[], out: Output, err: Output): number {
  let values: { name?: string; permissions?: string; 'allow-ips'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        name: { type: 'string' },
        permissions: { type: 'string' },
        'allow-ips': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    err.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    out.write(USAGE);
    return 0;
  }

  const problems: string[] = [];
  const name = values.name?.trim();
  if (name === undefined || name === '') problems.push('--name is required.');
  else if (!isValidKeyName(name))
    problems.push(
      `--name ${JSON.stringify(name)} is not valid: use 1 to 64 letters, digits, "_", "." or "-".`,
    );

  const permissions = splitList(values.permissions);
  if (permissions.length === 0) {
    problems.push(`--permissions is required: comma-separated names, or ${ALL_PERMISSIONS} for all.`);
  } else {
    const unknown = permissions.filter((p) => !isKnownPermission(p));
    if (unknown.length > 0) {
      problems.push(
        `Unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: expected ${ALL_PERMISSIONS} or any of ${GATEWAY_PERMISSIONS.join(', ')}.`,
      );
    }
  }

  const allowIps = splitList(values['allow-ips']);
  for (const cidr of allowIps) {
    if (parseCidr(cidr) === undefined)
      problems.push(
        `--allow-ips: ${JSON.stringify(cidr)} is not an IPv4/IPv6 address or CIDR, e.g. 10.0.0.0/8.`,
      );
  }

  if (problems.length > 0) {
    err.write(`${problems.map((p) => `error: ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }

  const key = generateGatewayKey();
  const sha256 = hashGatewayKey(key);
  const line = `${name}:${sha256}:${permissions.join(',')}${allowIps.length > 0 ? `:${allowIps.join(',')}` : ''}`;
  const item = { name, sha256, permissions, ...(allowIps.length > 0 ? { allowIps } : {}) };

  // The entry must read back as the gateway will read it; a failure here is a bug, not a typo.
  const check = parseGatewayKeys({ GATEWAY_KEYS: line });
  if (check.problems.length > 0 || check.keys.length !== 1) {
    err.write(`internal error: the generated entry does not parse: ${check.problems.join(' ')}\n`);
    return 1;
  }

  if (values.json === true) {
    err.write(`Gateway key for ${JSON.stringify(name)} (shown once, store it now): ${key}\n`);
    out.write(`${JSON.stringify(item, null, 2)}\n`);
    return 0;
  }
  out.write(
    [
      `Gateway key for ${JSON.stringify(name)}. It is shown once: store it in your secret manager now.`,
      '',
      `  ${key}`,
      '',
      'Clients send it as:  Authorization: Bearer <key>',
      '',
      'Add this entry to GATEWAY_KEYS (one entry per line, or entries separated by ;):',
      '',
      `  ${line}`,
      '',
      'or this item to the JSON array in the file named by GATEWAY_KEYS_FILE:',
      '',
      `  ${JSON.stringify(item)}`,
      '',
      'Both hold the SHA-256 of the key, never the key.',
      '',
    ].join('\n'),
  );
  return 0;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** True when this file is the program being run (not imported by a test). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = runCreateKey(process.argv.slice(2), process.stdout, process.stderr);
}
