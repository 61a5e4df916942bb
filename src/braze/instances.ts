/**
 * Braze instances and their REST endpoints (docs/braze-facts.md §1.1). A full URL may be configured instead
 * (`BRAZE_REST_ENDPOINT`), e.g. for an instance added after this table was written.
 */
export const BRAZE_INSTANCES: Readonly<Record<string, string>> = {
  'US-01': 'https://rest.iad-01.braze.com',
  'US-02': 'https://rest.iad-02.braze.com',
  'US-03': 'https://rest.iad-03.braze.com',
  'US-04': 'https://rest.iad-04.braze.com',
  'US-05': 'https://rest.iad-05.braze.com',
  'US-06': 'https://rest.iad-06.braze.com',
  'US-07': 'https://rest.iad-07.braze.com',
  'US-08': 'https://rest.iad-08.braze.com',
  // The current docs name rest.us-10 (older ones rest.iad-10): docs/braze-facts.md C-9.
  'US-10': 'https://rest.us-10.braze.com',
  'EU-01': 'https://rest.fra-01.braze.eu',
  'EU-02': 'https://rest.fra-02.braze.eu',
  'AU-01': 'https://rest.au-01.braze.com',
  'ID-01': 'https://rest.id-01.braze.com',
  'JP-01': 'https://rest.jp-01.braze.com',
  'KR-01': 'https://rest.kr-01.braze.com',
};

/** `us-3`, `US03` and `us-03` all name US-03. */
export function normaliseInstanceName(raw: string): string {
  const m = /^\s*([a-z]{2})-?0*(\d{1,2})\s*$/i.exec(raw);
  if (!m) return raw.trim().toUpperCase();
  return `${m[1]!.toUpperCase()}-${m[2]!.padStart(2, '0')}`;
}
