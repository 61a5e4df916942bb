import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BASIC_CSS,
  BASIC_JS,
  GRAPHIQL_CSS,
  GRAPHIQL_START_JS,
  basicBody,
  renderPage,
  type PageConfig,
} from './assets.js';
import { variablesAt, type PlaygroundExample } from './examples.js';

/**
 * The playground on `GET <endpoint>` from a browser: everything it needs is served by the gateway
 * itself, so it works with no internet access and under a Content-Security-Policy that allows
 * only 'self'.
 *
 * Two front ends:
 * - `graphiql`: GraphiQL 4's prebuilt UMD bundle (`graphiql/graphiql.min.js` and `.css`) on
 *   React 18's UMD builds (`react/umd/react.production.min.js`,
 *   `react-dom/umd/react-dom.production.min.js`), read from node_modules by resolved path. No
 *   build step. GraphiQL 5 ships only ES modules that need a bundler (and Monaco workers), and
 *   React 19 dropped UMD builds, hence graphiql@4 with react@18.
 * - `basic`: a small dependency-free page (tabs, operation, variables, headers, Run, result),
 *   used when those packages are not installed.
 *
 * Assets live under `<endpoint>/playground/` with a content hash in `?v=`: a matching `v` is
 * cached for a year (`immutable`), anything else must revalidate (ETag). Large assets are sent
 * gzipped when the browser accepts it, compressed once on first use.
 */

export type PlaygroundUi = 'graphiql' | 'basic';

export interface PlaygroundOptions {
  /** The GraphQL endpoint's path, e.g. `/graphql`: the page's URL and where it POSTs. */
  endpointPath: string;
  /** One tab each, in order (see `DEFAULT_EXAMPLES`). */
  examples: readonly PlaygroundExample[];
  /** `auto` (default): GraphiQL when its packages are installed, else the basic page. */
  ui?: 'auto' | PlaygroundUi;
  /** Page title. Default "Braze GraphQL gateway". */
  title?: string;
  /**
   * Headers pre-filled in the headers editor, e.g. `{ Authorization: 'Bearer <gateway key>' }`
   * when the gateway requires keys. Default none.
   */
  headers?: Readonly<Record<string, string>>;
}

/** Handles the playground's requests; returns false for every other request, untouched. */
export type PlaygroundHandler = ((req: IncomingMessage, res: ServerResponse) => boolean) & {
  /** Which front end is served. */
  readonly ui: PlaygroundUi;
  /** Why the basic page is served when `auto` was asked for (for the start-up log). */
  readonly note: string | undefined;
};

/** Allows only the gateway's own origin; `data:` only for images and fonts embedded in CSS. */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': PLAYGROUND_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

interface Asset {
  contentType: string;
  body: Buffer;
  /** First 16 hex digits of the SHA-256 of body: the `?v=` and the ETag. */
  hash: string;
  gzipped?: Buffer;
}

function asset(contentType: string, body: string | Buffer): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { contentType, body: buf, hash: createHash('sha256').update(buf).digest('hex').slice(0, 16) };
}

/** The GraphiQL files, or why they cannot be used. */
function graphiqlAssets(): { assets: Map<string, Asset>; order: string[]; styles: string[] } | string {
  const require = createRequire(import.meta.url);
  const found: Record<string, { dir: string; version: string }> = {};
  for (const [name, major] of [
    ['graphiql', 4],
    ['react', 18],
    ['react-dom', 18],
  ] as const) {
    let pkgPath: string;
    try {
      pkgPath = require.resolve(`${name}/package.json`);
    } catch {
      return `${name}@${major} is not installed`;
    }
    const version = String((JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: unknown }).version);
    if (Number(version.split('.')[0]) !== major) {
      return `${name}@${version} is installed but the playground needs ${name}@${major} (its prebuilt browser build)`;
    }
    found[name] = { dir: dirname(pkgPath), version };
  }
  const files: Array<[string, string, string]> = [
    ['react.js', join(found.react!.dir, 'umd', 'react.production.min.js'), JS],
    ['react-dom.js', join(found['react-dom']!.dir, 'umd', 'react-dom.production.min.js'), JS],
    ['graphiql.js', join(found.graphiql!.dir, 'graphiql.min.js'), JS],
    ['graphiql.css', join(found.graphiql!.dir, 'graphiql.min.css'), CSS],
  ];
  const assets = new Map<string, Asset>();
  for (const [name, path, type] of files) {
    try {
      // The bundles end with a sourceMappingURL the gateway does not serve: drop it, so browser
      // tools do not ask for a file that 404s.
      const text = readFileSync(path, 'utf8').replace(/\n?\/[/*]# sourceMappingURL=[^\n]*\s*$/, '\n');
      assets.set(name, asset(type, text));
    } catch {
      return `${path} is missing`;
    }
  }
  assets.set('start.js', asset(JS, GRAPHIQL_START_JS));
  assets.set('page.css', asset(CSS, GRAPHIQL_CSS));
  return {
    assets,
    order: ['react.js', 'react-dom.js', 'graphiql.js', 'start.js'],
    styles: ['graphiql.css', 'page.css'],
  };
}

function basicAssets(): { assets: Map<string, Asset>; order: string[]; styles: string[] } {
  return {
    assets: new Map([
      ['basic.js', asset(JS, BASIC_JS)],
      ['basic.css', asset(CSS, BASIC_CSS)],
    ]),
    order: ['basic.js'],
    styles: ['basic.css'],
  };
}

/**
 * Builds the playground handler. Call it once at start-up (it reads the bundles then); call the
 * handler first for every request: it answers `GET|HEAD <endpointPath>` when the client prefers
 * HTML (a browser), and `<endpointPath>/playground/*`, and returns false for anything else,
 * including GraphQL requests on the same path.
 *
 * @throws Error when `ui: 'graphiql'` is asked for and its packages are not installed
 */
export function createPlaygroundHandler(opts: PlaygroundOptions): PlaygroundHandler {
  const endpointPath = opts.endpointPath.replace(/\/+$/, '') || '/';
  const assetPrefix = `${endpointPath === '/' ? '' : endpointPath}/playground/`;
  const title = opts.title ?? 'Braze GraphQL gateway';

  let ui: PlaygroundUi = 'basic';
  let note: string | undefined;
  let chosen = basicAssets();
  if (opts.ui !== 'basic') {
    const graphiql = graphiqlAssets();
    if (typeof graphiql !== 'string') {
      chosen = graphiql;
      ui = 'graphiql';
    } else if (opts.ui === 'graphiql') {
      throw new Error(
        `The GraphiQL playground cannot be served: ${graphiql}. Install graphiql@4 react@18 react-dom@18, or use the basic playground.`,
      );
    } else {
      note = `serving the basic playground: ${graphiql} (GraphiQL needs graphiql@4, react@18 and react-dom@18).`;
    }
  }
  const { assets } = chosen;
  const url = (name: string): string => `${assetPrefix}${name}?v=${assets.get(name)!.hash}`;

  const headersText = opts.headers === undefined ? '' : JSON.stringify(opts.headers, null, 2);
  const render = (now: Date): Buffer => {
    const config: PageConfig = {
      endpoint: endpointPath,
      headers: headersText,
      tabs: opts.examples.map((e) => {
        const variables = variablesAt(e, now);
        return {
          query: e.query,
          variables: variables === undefined ? '' : JSON.stringify(variables, null, 2),
          headers: headersText,
        };
      }),
    };
    return Buffer.from(
      renderPage({
        title,
        styles: chosen.styles.map(url),
        scripts: chosen.order.map(url),
        config,
        body: ui === 'graphiql' ? '<div id="graphiql">Loading…</div>' : basicBody(title),
      }),
      'utf8',
    );
  };
  // Rendered once, unless an example's variables depend on the time it is served.
  const fixedPage = opts.examples.some((e) => typeof e.variables === 'function')
    ? undefined
    : render(new Date());

  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const target = new URL(req.url ?? '/', 'http://playground');
    const path = target.pathname;
    const isPage = path === endpointPath && prefersHtml(req.headers.accept);
    const assetName = path.startsWith(assetPrefix) ? path.slice(assetPrefix.length) : undefined;
    if (!isPage && assetName === undefined) return false;

    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      // A browser's page request is always GET; a POST with Accept: text/html is GraphQL's.
      if (isPage) return false;
      send(
        res,
        405,
        { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
        'Method not allowed.',
      );
      return true;
    }
    const head = method === 'HEAD';

    if (isPage) {
      const page = fixedPage ?? render(new Date());
      send(
        res,
        200,
        { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', vary: 'Accept' },
        head ? undefined : page,
        page.length,
      );
      return true;
    }

    const file = assets.get(assetName!);
    if (file === undefined) {
      send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'No such playground file.');
      return true;
    }
    const etag = `"${file.hash}"`;
    const headers: Record<string, string> = {
      'content-type': file.contentType,
      etag,
      vary: 'Accept-Encoding',
      // The page always links `?v=<hash>`: that URL can never change content. Any other URL
      // (an old hash, none) must revalidate.
      'cache-control':
        target.searchParams.get('v') === file.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (req.headers['if-none-match'] === etag) {
      send(res, 304, headers);
      return true;
    }
    let body = file.body;
    if (file.body.length > 1_024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      file.gzipped ??= gzipSync(file.body);
      body = file.gzipped;
      headers['content-encoding'] = 'gzip';
    }
    send(res, 200, headers, head ? undefined : body, body.length);
    return true;
  };
  return Object.assign(handler, { ui, note });
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: string | Buffer,
  length?: number,
): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries({ ...SECURITY_HEADERS, ...headers })) res.setHeader(k, v);
  if (length !== undefined) res.setHeader('content-length', length);
  else if (body !== undefined) res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Whether the client wants HTML rather than a GraphQL response: `text/html` is acceptable and
 * ranks at least as high as any JSON type. A browser navigating sends `text/html,…;q=0.9,*\/*`;
 * GraphQL clients send `application/json` or `application/graphql-response+json`, and curl `*\/*`
 * (so curl gets GraphQL, not a page).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    const mediaType = type.trim();
    if (mediaType === 'text/html') html = Math.max(html, q);
    else if (mediaType === 'application/json' || mediaType === 'application/graphql-response+json')
      json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}
