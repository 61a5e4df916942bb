/**
 * The playground's own front-end files, as strings. They live in TypeScript, not as files beside
 * it, because the production image holds only `dist/` (tsc emits .js from .ts and copies nothing
 * else): a string here ships wherever the gateway does.
 *
 * The scripts are plain ES2017 for the browser and are loaded from the gateway (`script-src
 * 'self'`): no inline script and no inline style anywhere, so the Content-Security-Policy needs
 * no 'unsafe-inline'. The page hands them their settings in a `<script type="application/json">`
 * block, which browsers never execute (CSP does not apply to it).
 */

/** What the page's JSON block carries to the scripts. */
export interface PageConfig {
  /** Where to POST operations (the GraphQL endpoint path). */
  endpoint: string;
  /** One tab each: the operation and its variables as pretty JSON text. */
  tabs: Array<{ query: string; variables: string; headers: string }>;
  /** Request headers shown in the headers editor, as JSON text. */
  headers: string;
}

const ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/** JSON safe inside a `<script>` element: no `</script>` or `<!--` can close or confuse it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => ESCAPES[c]!);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The HTML page: stylesheets, then the JSON block, then the scripts in order. */
export function renderPage(opts: {
  title: string;
  styles: readonly string[];
  scripts: readonly string[];
  config: PageConfig;
  /** The element the UI mounts on. */
  body: string;
}): string {
  const styles = opts.styles.map((href) => `    <link rel="stylesheet" href="${escapeHtml(href)}" />`);
  const scripts = opts.scripts.map((src) => `    <script src="${escapeHtml(src)}" defer></script>`);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <link rel="icon" href="data:," />
    <title>${escapeHtml(opts.title)}</title>
${styles.join('\n')}
    <script type="application/json" id="playground-config">${jsonForScript(opts.config)}</script>
${scripts.join('\n')}
  </head>
  <body>
    ${opts.body}
  </body>
</html>
`;
}

/** Page furniture for GraphiQL: it needs a full-height mount point. */
export const GRAPHIQL_CSS = `html, body, #graphiql { height: 100%; margin: 0; }
body { overflow: hidden; }
`;

/**
 * Starts GraphiQL (the UMD build: globals React, ReactDOM, GraphiQL). A `?query=` (and
 * `&variables=`) in the page URL opens as the first tab, so a link can share an operation.
 * Headers are not persisted: they hold the caller's gateway key.
 *
 * GraphiQL 4 fills the variables editor from its `variables` prop, not from the first default
 * tab: on a first visit (no saved tabs) the first tab's variables are passed that way. A returning
 * visitor keeps their saved tabs, so nothing is passed then, except for a `?query=` link, which
 * GraphiQL matches against the saved tabs or opens as a new one.
 *
 * Run right after a tab switch, GraphiQL 4 can still send the previous tab's `operationName`
 * with the new tab's document, which the server refuses ("Unknown operation named …"). The
 * fetcher drops an `operationName` the document does not define, so the document's own
 * operation runs, as the person who clicked expects.
 */
export const GRAPHIQL_START_JS = String.raw`(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('playground-config').textContent);
  var tabs = config.tabs.slice();
  var params = new URLSearchParams(window.location.search);
  var linked = params.get('query');
  if (linked) tabs.unshift({ query: linked, variables: params.get('variables') || '', headers: config.headers });
  var saved = false;
  try {
    saved = Boolean(window.localStorage.getItem('graphiql:tabState'));
  } catch (e) {
    saved = false;
  }
  var send = window.GraphiQL.createFetcher({ url: new URL(config.endpoint, window.location.href).href });
  function fetcher(params, opts) {
    var name = params && params.operationName;
    var defines = new RegExp('(^|[^_0-9A-Za-z])(query|mutation|subscription)\\s+' + name + '(?![_0-9A-Za-z])');
    if (name && typeof params.query === 'string' && !defines.test(params.query)) {
      params = Object.assign({}, params, { operationName: undefined });
    }
    return send(params, opts);
  }
  var props = {
    fetcher: fetcher,
    defaultTabs: tabs,
    defaultHeaders: config.headers,
    defaultEditorToolsVisibility: 'variables',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  };
  if (linked) {
    props.query = tabs[0].query;
    props.variables = tabs[0].variables;
  } else if (!saved && tabs.length > 0) {
    props.variables = tabs[0].variables;
  }
  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(window.React.createElement(window.GraphiQL, props));
})();
`;

/** The dependency-free playground's stylesheet. */
export const BASIC_CSS = `:root {
  color-scheme: light dark;
  --bg: #f7f8fa; --panel: #ffffff; --line: #d9dde3; --text: #1d2430; --muted: #5f6b7a; --accent: #e10098;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #161a20; --panel: #1e232b; --line: #323a46; --text: #e4e8ee; --muted: #98a2b0; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; background: var(--bg); color: var(--text); }
#playground { display: grid; grid-template-rows: auto auto 1fr; height: 100%; }
header { display: flex; align-items: center; gap: 12px; padding: 8px 16px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header .hint { color: var(--muted); font-size: 12px; margin-left: auto; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--text); padding: 6px 12px; }
button.run { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
nav { display: flex; gap: 4px; padding: 8px 16px 0; border-bottom: 1px solid var(--line); overflow-x: auto; }
nav button { border-bottom: none; border-radius: 6px 6px 0 0; color: var(--muted); }
nav button[aria-selected="true"] { color: var(--text); background: var(--panel); font-weight: 600; }
main { display: grid; grid-template-columns: 1fr 1fr; min-height: 0; }
.editors { display: grid; grid-template-rows: 3fr 1.3fr 0.8fr; min-height: 0; border-right: 1px solid var(--line); }
label { display: flex; flex-direction: column; min-height: 0; padding: 8px 16px; gap: 4px; font-size: 12px; color: var(--muted); }
textarea, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; line-height: 1.45; }
textarea { flex: 1; min-height: 0; resize: none; padding: 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--text); tab-size: 2; }
.result { display: flex; flex-direction: column; min-height: 0; padding: 8px 16px; }
.status { font-size: 12px; color: var(--muted); min-height: 18px; }
.status.error { color: #d0312d; }
pre { flex: 1; margin: 4px 0 0; padding: 8px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); white-space: pre-wrap; word-break: break-word; }
`;

/**
 * The dependency-free playground: a tab per example (each keeps its own edits), an operation
 * editor, variables, request headers shared by every tab (for the gateway key; never stored),
 * Run (or Ctrl/Cmd+Enter), and the pretty-printed response with its HTTP status and timing.
 */
export const BASIC_JS = String.raw`(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('playground-config').textContent);
  var byId = function (id) { return document.getElementById(id); };
  var tabs = config.tabs.map(function (t) { return { query: t.query, variables: t.variables }; });
  var params = new URLSearchParams(window.location.search);
  if (params.get('query')) tabs.unshift({ query: params.get('query'), variables: params.get('variables') || '' });
  if (tabs.length === 0) tabs.push({ query: '{\n  __typename\n}\n', variables: '' });
  var current = 0;
  var query = byId('query');
  var variables = byId('variables');
  var headers = byId('headers');
  var status = byId('status');
  var result = byId('result');
  var nav = byId('tabs');
  headers.value = config.headers;

  function operationNames(text) {
    var re = /\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g;
    var found = [];
    var m;
    while ((m = re.exec(text)) !== null) found.push({ name: m[2], at: m.index });
    return found;
  }
  function tabTitle(tab, i) {
    var names = operationNames(tab.query);
    return names.length > 0 ? names[0].name : 'Tab ' + (i + 1);
  }
  function save() {
    tabs[current].query = query.value;
    tabs[current].variables = variables.value;
  }
  function renderTabs() {
    nav.textContent = '';
    tabs.forEach(function (tab, i) {
      var b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'tab');
      b.setAttribute('aria-selected', String(i === current));
      b.textContent = tabTitle(tab, i);
      b.addEventListener('click', function () { select(i); });
      nav.appendChild(b);
    });
  }
  function select(i) {
    save();
    current = i;
    query.value = tabs[i].query;
    variables.value = tabs[i].variables;
    renderTabs();
  }
  function parseJson(text, what) {
    if (text.trim() === '') return {};
    try {
      var v = JSON.parse(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
      return v;
    } catch (e) {
      throw new Error(what + ' are not valid JSON: ' + e.message);
    }
  }
  function show(text, isError) {
    status.textContent = text;
    status.className = isError ? 'status error' : 'status';
  }
  function run() {
    save();
    var body;
    var extraHeaders;
    try {
      body = { query: query.value, variables: parseJson(variables.value, 'Variables') };
      extraHeaders = parseJson(headers.value, 'Headers');
    } catch (e) {
      show(e.message, true);
      return;
    }
    // With several operations, run the one the cursor is in.
    var names = operationNames(query.value);
    if (names.length > 1) {
      var chosen = names[0];
      names.forEach(function (n) { if (n.at <= query.selectionStart) chosen = n; });
      body.operationName = chosen.name;
    }
    var sent = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    Object.keys(extraHeaders).forEach(function (k) { sent[k] = String(extraHeaders[k]); });
    show('Running…', false);
    var started = performance.now();
    fetch(config.endpoint, { method: 'POST', headers: sent, body: JSON.stringify(body), credentials: 'omit' })
      .then(function (res) {
        return res.text().then(function (text) {
          var ms = Math.round(performance.now() - started);
          show('HTTP ' + res.status + ' · ' + ms + ' ms', !res.ok);
          try {
            result.textContent = JSON.stringify(JSON.parse(text), null, 2);
          } catch (e) {
            result.textContent = text;
          }
        });
      })
      .catch(function (e) {
        show('Request failed: ' + e.message, true);
        result.textContent = '';
      });
  }
  function indentOnTab(e) {
    if (e.key !== 'Tab' || e.shiftKey) return;
    e.preventDefault();
    var el = e.target;
    var s = el.selectionStart;
    el.setRangeText('  ', s, el.selectionEnd, 'end');
  }
  byId('run').addEventListener('click', run);
  [query, variables, headers].forEach(function (el) {
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
      } else indentOnTab(e);
    });
  });
  query.addEventListener('input', function () {
    var title = tabTitle({ query: query.value }, current);
    var b = nav.children[current];
    if (b && b.textContent !== title) b.textContent = title;
  });
  query.value = tabs[0].query;
  variables.value = tabs[0].variables;
  renderTabs();
})();
`;

/** The dependency-free playground's markup. */
export function basicBody(title: string): string {
  return `<div id="playground">
      <header>
        <h1>${escapeHtml(title)}</h1>
        <button type="button" id="run" class="run" title="Run (Ctrl+Enter)">▶ Run</button>
        <span class="hint">Ctrl+Enter runs · put your gateway key in the headers</span>
      </header>
      <nav id="tabs" role="tablist"></nav>
      <main>
        <div class="editors">
          <label>Operation<textarea id="query" spellcheck="false" wrap="off" aria-label="Operation"></textarea></label>
          <label>Variables (JSON)<textarea id="variables" spellcheck="false" wrap="off" aria-label="Variables"></textarea></label>
          <label>Headers (JSON, shared by every tab, never stored)<textarea id="headers" spellcheck="false" wrap="off" aria-label="Headers"></textarea></label>
        </div>
        <section class="result" aria-live="polite">
          <div id="status" class="status"></div>
          <pre id="result"></pre>
        </section>
      </main>
    </div>`;
}
