import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig } from '../src/config.js';
import { ENV_VARS } from '../src/envVars.js';
import { useStacks } from './helpers.js';

/**
 * The deploy kit (deploy/) cannot run here: no container engine, no cluster. What reading can
 * prove is proved here: every YAML file parses, every variable set on a gateway is one the
 * gateway reads and its values load, probes and ports are the gateway's own, the shutdown timings
 * fit the gateway's drain, and Prometheus and Grafana find the files they are given.
 */

const DEPLOY = 'deploy';
/** The gateway bounds its drain at 25 s after SHUTDOWN_DELAY_MS (src/app/startGateway.ts). */
const DRAIN_BOUND_S = 25;
const GATEWAY_PORT = 4000;
const GATEWAY_ENV = new Set(ENV_VARS.map((v) => v.name));
/** Variables of the other images, documented by their vendors: Grafana reads `GF_<SECTION>_<KEY>`. */
const OTHER_IMAGE_ENV: Record<string, RegExp> = { grafana: /^GF_[A-Z0-9_]+$/ };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => {
  expect(v, 'a mapping').toBeTypeOf('object');
  expect(Array.isArray(v)).toBe(false);
  return v as Obj;
};
const arr = (v: unknown): unknown[] => {
  expect(Array.isArray(v), 'a sequence').toBe(true);
  return v as unknown[];
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

function readYaml(path: string): Obj {
  // Compose files use YAML merge keys (`<<: *gateway`).
  return obj(parseYaml(readFileSync(path, 'utf8'), { merge: true }));
}

/** `${NAME:-default}` as Compose interpolates it with NAME unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

/** An env file's `NAME=value` lines. */
function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Seconds from a Compose duration (`35s`, `1m30s`). */
function seconds(duration: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  expect(m, `a duration: ${duration}`).not.toBeNull();
  return Number(m![1] ?? 0) * 60 + Number(m![2] ?? 0);
}

/** A Compose service's bind mounts: container path → host path. */
function volumeSources(service: Obj): Record<string, string> {
  return Object.fromEntries(
    arr(service.volumes).map((v) => {
      const [src, dest] = String(v).split(':');
      return [dest!, src!];
    }),
  );
}

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

/** A gateway keys file loadConfig accepts, standing in for the secret a user provides. */
const tmp = mkdtempSync(join(tmpdir(), 'bgw-deploy-'));
const KEYS_FILE = join(tmp, 'gateway-keys.json');
writeFileSync(
  KEYS_FILE,
  JSON.stringify([{ name: 'deploy-test', sha256: 'a'.repeat(64), permissions: ['*'] }]),
);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('deploy kit: every YAML file parses', () => {
  const files = yamlFiles(DEPLOY);

  it('finds the compose file, the Prometheus and Grafana provisioning files and the manifests', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        join(DEPLOY, 'docker-compose.yml'),
        join(DEPLOY, 'prometheus', 'prometheus.yml'),
        join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
        join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'braze-gateway.yml'),
        join(DEPLOY, 'k8s', 'deployment.yaml'),
      ]),
    );
  });

  it.each(files)('%s', (file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      expect(doc.warnings.map((e) => e.message)).toEqual([]);
      expect(doc.toJS()).toBeTypeOf('object');
    }
  });
});

describe('deploy kit: docker-compose.yml', () => {
  const compose = readYaml(join(DEPLOY, 'docker-compose.yml'));
  const services = obj(compose.services);
  const gateways = Object.keys(services).filter((s) => s.startsWith('gateway-'));
  const gatewayEnv = (name: string): Record<string, string> => {
    const env = obj(obj(services[name]).environment);
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
  };

  it('runs Redis and three gateway replicas built from the Dockerfile, sharing the budget', () => {
    expect(services.redis).toBeDefined();
    expect(gateways).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    for (const g of gateways) {
      const svc = obj(services[g]);
      const build = obj(svc.build);
      expect(existsSync(join(DEPLOY, String(build.context), String(build.dockerfile)))).toBe(true);
      const env = gatewayEnv(g);
      expect(env.RATE_BUDGET_REPLICAS).toBe(String(gateways.length));
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(env.BRAZE_WORKSPACE).toMatch(/\S/);
      expect(env.SHUTDOWN_DELAY_MS).toMatch(/^\d+$/);
      expect(env.PORT).toBe(String(GATEWAY_PORT));
      expect(arr(svc.ports).map((p) => String(p).split(':').at(-1))).toEqual([String(GATEWAY_PORT)]);
    }
  });

  it('sets on the gateways only variables the gateway reads, and only GF_* on Grafana', () => {
    const example = envFile(join(DEPLOY, 'gateway.env.example'));
    for (const g of gateways) {
      for (const name of Object.keys(gatewayEnv(g))) expect(GATEWAY_ENV, `${g}: ${name}`).toContain(name);
    }
    for (const name of Object.keys(example))
      expect(GATEWAY_ENV, `gateway.env.example: ${name}`).toContain(name);
    for (const [svc, pattern] of Object.entries(OTHER_IMAGE_ENV)) {
      for (const name of Object.keys(obj(obj(services[svc]).environment))) expect(name).toMatch(pattern);
    }
    for (const svc of ['redis', 'prometheus']) expect(obj(services[svc]).environment).toBeUndefined();
  });

  it('takes the Braze key from an env file and the gateway keys from a secret, and the values load', () => {
    const example = envFile(join(DEPLOY, 'gateway.env.example'));
    expect(Object.keys(example)).toContain('BRAZE_API_KEY');
    expect(example.BRAZE_API_KEY).toBe(''); // never a key in git
    const gitignore = readFileSync(join(DEPLOY, '.gitignore'), 'utf8').split('\n');
    for (const g of gateways) {
      const svc = obj(services[g]);
      expect(arr(svc.env_file).map((f) => obj(f).path)).toEqual(['./gateway.env']);
      expect(arr(svc.secrets)).toEqual(['gateway_keys']);
      expect(gatewayEnv(g).GATEWAY_KEYS_FILE).toBe('/run/secrets/gateway_keys');
      expect(Object.keys(gatewayEnv(g))).not.toContain('BRAZE_API_KEY');
    }
    expect(obj(obj(compose.secrets).gateway_keys).file).toBe('./gateway-keys.json');
    expect(JSON.parse(readFileSync(join(DEPLOY, 'gateway-keys.example.json'), 'utf8'))).toEqual([]);
    expect(gitignore).toEqual(expect.arrayContaining(['gateway.env', 'gateway-keys.json']));

    const config = loadConfig({
      ...example,
      ...gatewayEnv('gateway-1'),
      BRAZE_API_KEY: 'stand-in',
      GATEWAY_KEYS_FILE: KEYS_FILE,
    });
    expect(config.port).toBe(GATEWAY_PORT);
    expect(config.mode).toBe('braze');
  });

  it('gives each replica time for SHUTDOWN_DELAY_MS and the 25 s drain before Compose kills it', () => {
    for (const g of gateways) {
      const delayS = Number(gatewayEnv(g).SHUTDOWN_DELAY_MS) / 1000;
      expect(seconds(String(obj(services[g]).stop_grace_period))).toBeGreaterThan(delayS + DRAIN_BOUND_S);
    }
  });

  it("Prometheus loads deploy/prometheus/alerts.yml and scrapes every replica's /metrics", async () => {
    const prometheus = obj(services.prometheus);
    const mounts = volumeSources(prometheus);
    const config = readYaml(join(DEPLOY, 'prometheus', 'prometheus.yml'));
    expect(mounts['/etc/prometheus/prometheus.yml']).toBe('./prometheus/prometheus.yml');
    const rules = arr(config.rule_files).map(String);
    expect(rules.map((r) => mounts[r])).toContain('./prometheus/alerts.yml');

    const jobs = arr(config.scrape_configs).map(obj);
    const gatewayJob = jobs.find((j) => j.job_name === 'braze-gateway');
    expect(gatewayJob?.metrics_path).toBe('/metrics');
    const targets = arr(gatewayJob?.static_configs).flatMap((s) => arr(obj(s).targets));
    expect(targets.sort()).toEqual(gateways.map((g) => `${g}:${GATEWAY_PORT}`));

    if (PROMTOOL) {
      // Syntax only: the rule file is checked on its own (promtool check rules) where it is written.
      const { stdout } = await promisify(execFile)(PROMTOOL, [
        'check',
        'config',
        '--syntax-only',
        join(DEPLOY, 'prometheus', 'prometheus.yml'),
      ]);
      expect(stdout).toContain('SUCCESS');
    }
  });

  it('Grafana is provisioned with the Prometheus datasource and deploy/grafana/braze-gateway.json', () => {
    const grafana = obj(services.grafana);
    const mounts = volumeSources(grafana);
    expect(mounts['/etc/grafana/provisioning/datasources']).toBe('./grafana/provisioning/datasources');
    expect(mounts['/etc/grafana/provisioning/dashboards']).toBe('./grafana/provisioning/dashboards');

    const ds = arr(
      readYaml(join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml')).datasources,
    );
    const promPort = arr(obj(services.prometheus).ports).map((p) => String(p).split(':').at(-1));
    expect(ds.map((d) => obj(d).url)).toEqual(promPort.map((p) => `http://prometheus:${p}`));

    const providers = arr(
      readYaml(join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'braze-gateway.yml')).providers,
    );
    const dir = String(obj(obj(providers[0]).options).path);
    expect(mounts[`${dir}/braze-gateway.json`]).toBe('./grafana/braze-gateway.json');
  });
});

/**
 * The alert rules and the dashboard are written alongside this kit; once they are in the tree,
 * check that Prometheus loads the rules with this config and that the dashboard's queries reach
 * the provisioned datasource (file provisioning does not resolve an exported dashboard's
 * `${DS_…}` inputs).
 */
describe('deploy kit: with the alert rules and the dashboard in place', () => {
  const alerts = join(DEPLOY, 'prometheus', 'alerts.yml');
  const dashboard = join(DEPLOY, 'grafana', 'braze-gateway.json');

  it.runIf(existsSync(alerts) && PROMTOOL !== undefined)(
    'promtool check config loads deploy/prometheus/alerts.yml through prometheus.yml',
    async () => {
      const config = readYaml(join(DEPLOY, 'prometheus', 'prometheus.yml'));
      const local = join(tmp, 'prometheus.yml');
      const rules = arr(config.rule_files).map((r) =>
        r === '/etc/prometheus/alerts.yml' ? join(process.cwd(), alerts) : r,
      );
      writeFileSync(local, JSON.stringify({ ...config, rule_files: rules }));
      const { stdout } = await promisify(execFile)(PROMTOOL!, ['check', 'config', local]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    },
  );

  it.runIf(existsSync(dashboard))("the dashboard's Prometheus queries use the provisioned datasource", () => {
    const board = obj(JSON.parse(readFileSync(dashboard, 'utf8')));
    const ds = arr(
      readYaml(join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml')).datasources,
    );
    const uid = String(obj(ds[0]).uid);
    const templating = board.templating === undefined ? [] : arr(obj(board.templating).list).map(obj);
    const dsVariables = templating.filter((v) => v.type === 'datasource').map((v) => String(v.name));
    const refs: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (k === 'datasource') refs.push(child);
          else walk(child);
        }
      }
    };
    walk(board.panels);
    walk(board.templating);
    const ok = (ref: unknown): boolean => {
      if (ref === null || ref === undefined) return true; // the default datasource: the provisioned one
      const id = typeof ref === 'string' ? ref : String(obj(ref).uid ?? '');
      if (typeof ref === 'object' && obj(ref).type !== undefined && obj(ref).type !== 'prometheus')
        return true;
      const variable = /^\$\{?(\w+)\}?$/.exec(id)?.[1];
      return id === uid || id === 'Prometheus' || (variable !== undefined && dsVariables.includes(variable));
    };
    expect(board.__inputs, 'an import-only export: provisioning cannot fill its inputs').toBeUndefined();
    expect(refs.filter((r) => !ok(r))).toEqual([]);
  });
});

describe('deploy kit: Kubernetes manifests', () => {
  const docs = yamlFiles(join(DEPLOY, 'k8s')).flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8')).map((d) => obj(d.toJS())),
  );
  const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const named = (kind: string, name: string) => {
    const found = ofKind(kind).find((d) => obj(d.metadata).name === name);
    expect(found, `${kind} ${name}`).toBeDefined();
    return found!;
  };
  const deployment = ofKind('Deployment')[0]!;
  const spec = obj(deployment.spec);
  const pod = obj(obj(spec.template).spec);
  const podLabels = obj(obj(obj(spec.template).metadata).labels);
  const container = obj(arr(pod.containers)[0]);
  const envFromMaps = arr(container.envFrom).map((e) => String(obj(obj(e).configMapRef).name));
  const configMap = named('ConfigMap', envFromMaps[0]!);
  const data = obj(configMap.data) as Record<string, string>;

  it('has a Deployment, a Service, a PodDisruptionBudget, a ConfigMap and the Secrets', () => {
    expect(ofKind('Deployment')).toHaveLength(1);
    expect(ofKind('Service')).toHaveLength(1);
    expect(ofKind('PodDisruptionBudget')).toHaveLength(1);
    expect(ofKind('ConfigMap')).toHaveLength(1);
    expect(ofKind('Secret').length).toBeGreaterThanOrEqual(1);
  });

  it('runs three replicas, and RATE_BUDGET_REPLICAS says so; REDIS_URL names the shared Redis', () => {
    expect(spec.replicas).toBe(3);
    expect(data.RATE_BUDGET_REPLICAS).toBe(String(spec.replicas));
    expect(data.REDIS_URL).toMatch(/^redis(\+\w+)?:\/\//);
  });

  it('sets only variables the gateway reads, and the values load', () => {
    const names = [...Object.keys(data), ...arr(container.env).map((e) => String(obj(e).name))];
    for (const name of names) expect(GATEWAY_ENV, name).toContain(name);
    const config = loadConfig({ ...data, BRAZE_API_KEY: 'stand-in', GATEWAY_KEYS_FILE: KEYS_FILE });
    expect(config.port).toBe(GATEWAY_PORT);
    expect(config.shutdownDelayMs).toBe(Number(data.SHUTDOWN_DELAY_MS));
  });

  it('takes BRAZE_API_KEY from a Secret and mounts GATEWAY_KEYS_FILE from a Secret', () => {
    const keyEnv = arr(container.env)
      .map(obj)
      .find((e) => e.name === 'BRAZE_API_KEY');
    const ref = obj(obj(keyEnv?.valueFrom).secretKeyRef);
    const brazeSecret = named('Secret', String(ref.name));
    expect(Object.keys(obj(brazeSecret.stringData))).toContain(ref.key);
    expect(Object.keys(data)).not.toContain('BRAZE_API_KEY');

    const mounts = arr(container.volumeMounts).map(obj);
    const keysMount = mounts.find((m) => data.GATEWAY_KEYS_FILE!.startsWith(`${String(m.mountPath)}/`));
    expect(keysMount?.readOnly).toBe(true);
    const volume = arr(pod.volumes)
      .map(obj)
      .find((v) => v.name === keysMount?.name);
    const secretVolume = obj(volume?.secret);
    const file = data.GATEWAY_KEYS_FILE!.slice(String(keysMount?.mountPath).length + 1);
    const item = arr(secretVolume.items)
      .map(obj)
      .find((i) => i.path === file);
    const keysSecret = named('Secret', String(secretVolume.secretName));
    expect(Object.keys(obj(keysSecret.stringData))).toContain(item?.key);
    expect(() => JSON.parse(String(obj(keysSecret.stringData)[String(item?.key)]))).not.toThrow();
  });

  it("probes /readyz and /healthz on the gateway's port 4000", () => {
    const ports = arr(container.ports).map(obj);
    expect(ports).toEqual([expect.objectContaining({ name: 'http', containerPort: GATEWAY_PORT })]);
    const readiness = obj(obj(container.readinessProbe).httpGet);
    const liveness = obj(obj(container.livenessProbe).httpGet);
    expect(readiness).toEqual({ path: '/readyz', port: 'http' });
    expect(liveness).toEqual({ path: '/healthz', port: 'http' });
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(new RegExp(`^EXPOSE ${GATEWAY_PORT}$`, 'm'));
  });

  it('sleeps in preStop no longer than SHUTDOWN_DELAY_MS, and the grace period covers sleep, delay and drain', () => {
    const command = arr(obj(obj(obj(container.lifecycle).preStop).exec).command).map(String);
    expect(command[0]).toBe('sleep');
    const sleepS = Number(command[1]);
    const delayS = Number(data.SHUTDOWN_DELAY_MS) / 1000;
    expect(sleepS).toBeGreaterThan(0);
    expect(sleepS).toBeLessThanOrEqual(delayS);
    // Kubernetes counts the grace period from the start of preStop; SIGTERM comes after it.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleepS + delayS + DRAIN_BOUND_S);
  });

  it("runs as the Dockerfile's non-root node user, with resources set", () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^FROM node:[\w.-]+$/m); // official node images: user node is uid/gid 1000
    const podSecurity = obj(pod.securityContext);
    expect(podSecurity).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(obj(container.securityContext)).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const resources = obj(container.resources);
    expect(Object.keys(obj(resources.requests)).sort()).toEqual(['cpu', 'memory']);
    expect(obj(resources.limits).memory).toBeDefined();
  });

  it('the Service and the PodDisruptionBudget select the pods; the budget leaves a replica free to go', () => {
    const selector = obj(obj(spec.selector).matchLabels);
    expect(podLabels).toMatchObject(selector);
    const service = obj(ofKind('Service')[0]!.spec);
    expect(podLabels).toMatchObject(obj(service.selector));
    expect(arr(service.ports).map((p) => obj(p).targetPort)).toEqual(['http']);
    const pdb = obj(ofKind('PodDisruptionBudget')[0]!.spec);
    expect(podLabels).toMatchObject(obj(obj(pdb.selector).matchLabels));
    expect(pdb.minAvailable).toBeLessThan(Number(spec.replicas));
    expect(pdb.minAvailable).toBeGreaterThan(0);
  });
});

describe('deploy kit: the paths it probes and scrapes are the gateway’s', () => {
  const stacks = useStacks();

  it('a running gateway answers /healthz, /readyz and /metrics with 200', async () => {
    const { gw } = await stacks();
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(new URL(path, gw.url));
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
    }
  });
});
