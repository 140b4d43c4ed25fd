/**
 * docker-compose.yml and the Dockerfile: local-only ports, signals reach node, graceful stops; dclint passes;
 * a non-root user on a digest-pinned Node 24; networks that keep the scoring worker off the internet.
 * deploy/ (the production topology, docs/operations.md): the compose file's services and volumes agree
 * with each other, Prometheus scrapes every worker service, and the Grafana dashboard asks only for
 * metrics the workers export.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { allowedHostHeaders } from '../client/commands/codec-server.js';
import { projectRoot } from '../node/paths.js';
import { METRICS } from '../shared/metrics.js';
import { searchAttributeFlags } from '../shared/search-attributes.js';
import { GENERATION_TASK_QUEUE, providerTaskQueueFor } from '../shared/task-queues.js';

const exec = promisify(execFile);

describe('deployment files', () => {
  let compose: string;
  let dockerfile: string;
  beforeAll(async () => {
    compose = await readFile(join(projectRoot, 'docker-compose.yml'), 'utf8');
    dockerfile = await readFile(join(projectRoot, 'Dockerfile'), 'utf8');
  });

  test('every published port is bound to 127.0.0.1 (the dev server has no authentication)', () => {
    const ports = [...compose.matchAll(/^\s+ports:\n((?:\s+- .*\n)+)/gm)].flatMap((m) =>
      m[1]!
        .trim()
        .split('\n')
        .map((l) => l.trim().replace(/^- /, '').replace(/['"]/g, ''))
    );
    expect(ports.length).toBeGreaterThanOrEqual(3);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  test('workers get a stop grace period longer than a render, and tini forwards signals', () => {
    const graces = [...compose.matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]));
    expect(graces).toHaveLength(2);
    for (const g of graces) expect(g).toBeGreaterThanOrEqual(120);
    expect(compose).toMatch(/^\s+init: true/m);
  });

  test('containers run node directly, never through npm or npx (which would swallow SIGTERM)', () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]/m);
    expect(`${dockerfile}\n${compose}`).not.toMatch(
      /\b(npx|npm)\b.*(ENTRYPOINT|entrypoint)|(ENTRYPOINT|entrypoint).*\b(npx|npm)\b/
    );
  });

  test('the image runs as an unprivileged user on Node 24, pinned by digest, and owns its volume mount points', () => {
    const from = /^FROM (\S+)/m.exec(dockerfile)?.[1];
    expect(from).toMatch(/^node:24[\w.-]*@sha256:[0-9a-f]{64}$/);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(['root', '0', '0:0']).not.toContain(user);
    // After the last USER nothing runs as root again, and the volumes' mount points are that user's.
    const chowned = /chown -R (\w+):\w+ ([^\n]+)/.exec(dockerfile);
    expect(chowned?.[1]).toBe(user);
    const owned = chowned![2]!.trim().split(/\s+/);
    for (const mountPoint of ['/data', '/models']) expect(owned).toContain(mountPoint);
    expect(dockerfile.indexOf(`USER ${user}`)).toBeGreaterThan(dockerfile.indexOf('chown'));
  });

  test('the scoring worker reaches Temporal on an internal network only; the UI is read-only', () => {
    const dev = parse(compose, { merge: true }) as {
      services: Record<string, ComposeService>;
      networks: Record<string, { internal?: boolean } | null>;
    };
    const scoring = dev.services['worker-scoring']!;
    expect(scoring.networks).toEqual(['temporal']);
    expect(dev.networks.temporal?.internal).toBe(true);
    expect(scoring.environment?.THUMBGATE_ALLOW_REMOTE_MODELS).toBe('false');
    // The dev server's own UI cannot disable writes, so it runs headless behind the temporalio/ui image.
    expect(dev.services.temporal?.command).toContain('--headless');
    expect(defaulted(dev.services['temporal-ui']?.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS)).toBe('true');
    // Only what needs the outside is on a network with a way out.
    const withEgress = Object.entries(dev.services)
      .filter(([, s]) => (s.networks ?? []).some((n) => !dev.networks[n]?.internal))
      .map(([name]) => name)
      .sort();
    expect(withEgress).toEqual(['emulator', 'model-pull', 'temporal', 'temporal-ui', 'worker-generation']);
  });

  test('dclint validates every compose file with no errors or warnings', async () => {
    const bin = join(projectRoot, 'node_modules', 'dclint', 'bin', 'dclint.cjs');
    const files = await composeFiles();
    const { stdout } = await exec(process.execPath, [bin, ...files, '--max-warnings', '0'], {
      cwd: projectRoot,
    });
    expect(stdout).not.toMatch(/error/i);
  }, 60_000);

  test('`npm run lint` checks every compose file in the tree (scripts/compose-config.mjs holds the list)', async () => {
    const skip = new Set(['node_modules', '.git', '.tools', '.data', '.cache', 'out', 'models', 'coverage']);
    async function find(dir: string): Promise<string[]> {
      const entries = await readdir(join(projectRoot, dir), { withFileTypes: true });
      const found = await Promise.all(
        entries.map(async (e) => {
          const path = dir ? `${dir}/${e.name}` : e.name;
          if (e.isDirectory()) return skip.has(e.name) ? [] : find(path);
          return /(^|[.-])compose([.-][\w-]+)*\.ya?ml$/.test(e.name) ? [path] : [];
        })
      );
      return found.flat();
    }
    expect((await composeFiles()).sort()).toEqual((await find('')).sort());
  });
});

/** A compose value with its `${VAR:-default}` default applied (what an unset variable gives). */
function defaulted(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.replace(/^\$\{\w+:-([^}]*)\}$/, '$1');
}

/** The compose files `npm run lint` checks (dclint and the compose-go loader): scripts/compose-config.mjs's list. */
async function composeFiles(): Promise<string[]> {
  const script = join(projectRoot, 'scripts', 'compose-config.mjs');
  const { stdout } = await exec(process.execPath, [script, '--list']);
  return stdout.trim().split('\n');
}

const PROD_COMPOSE = 'deploy/docker-compose.prod.yml';
const DEPLOY = join(projectRoot, 'deploy');

/** The series of every thumbgate metric the workers export (shared/metrics.ts); histograms as their three series. */
const THUMBGATE_METRICS = new Set(
  Object.values(METRICS).flatMap((m) =>
    m.buckets ? ['bucket', 'sum', 'count'].map((s) => `${m.name}_${s}`) : [m.name]
  )
);
/** The SDK's runtime metrics (Core's Prometheus exporter, `temporal_` prefix, durations in seconds). */
const SDK_METRIC = /^temporal_[a-z0-9_]+$/;
const PROMQL_FUNCTIONS = new Set(['sum', 'avg', 'max', 'min', 'count', 'rate', 'increase', 'histogram_quantile']);

/**
 * The metric names a PromQL expression selects: strings, label matchers, range selectors and grouping
 * clauses removed, what is left is functions (followed by `(`) and metric names.
 */
function promqlMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const metrics: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (
      bare
        .slice(m.index + m[0].length)
        .trimStart()
        .startsWith('(')
    ) {
      if (!PROMQL_FUNCTIONS.has(m[0])) throw new Error(`unexpected PromQL function ${m[0]} in ${expr}`);
    } else {
      metrics.push(m[0]);
    }
  }
  return metrics;
}

interface ComposeService {
  image?: string;
  networks?: string[];
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number | string };
  stop_grace_period?: string;
  init?: boolean;
  profiles?: string[];
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId?: string; expr?: string; datasource?: { uid?: string } }[];
}

describe('production deployment (deploy/)', () => {
  let services: Record<string, ComposeService>;
  let volumes: Record<string, unknown>;
  let networks: Record<string, { internal?: boolean } | null>;
  let workers: [string, ComposeService][];
  let prometheus: {
    scrape_configs: {
      job_name: string;
      dns_sd_configs?: { names: string[]; port: number }[];
      static_configs?: { targets: string[] }[];
    }[];
  };
  let dashboard: { uid?: string; title?: string; schemaVersion?: number; panels?: Panel[] };
  /** A YAML file under deploy/, with `<<` merge keys resolved as compose resolves them. */
  async function yamlFile<T>(path: string): Promise<T> {
    return parse(await readFile(join(DEPLOY, path), 'utf8'), { merge: true }) as T;
  }

  beforeAll(async () => {
    const compose = await yamlFile<{
      services: Record<string, ComposeService>;
      volumes: Record<string, unknown>;
      networks: Record<string, { internal?: boolean } | null>;
    }>('docker-compose.prod.yml');
    services = compose.services;
    volumes = compose.volumes;
    networks = compose.networks;
    workers = Object.entries(services).filter(([, s]) => s.command?.includes('worker/main.ts'));
    prometheus = await yamlFile('prometheus/prometheus.yml');
    dashboard = JSON.parse(await readFile(join(DEPLOY, 'grafana', 'dashboards', 'thumbgate.json'), 'utf8'));
  });

  test('npm run lint runs dclint and the compose-go loader on every compose file', async () => {
    const pkg = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { lint: string } };
    expect(pkg.scripts.lint).toMatch(/\bnode scripts\/compose-config\.mjs\b/);
    expect(await composeFiles()).toEqual(expect.arrayContaining(['docker-compose.yml', PROD_COMPOSE]));
  });

  test('Temporal runs on PostgreSQL with the schema set up by a one-shot admin-tools service first', () => {
    const { postgresql, temporal, 'temporal-schema': schema } = services;
    expect(postgresql?.image).toMatch(/^postgres:\d+/);
    expect(postgresql?.volumes).toEqual(
      expect.arrayContaining([expect.stringMatching(/^postgres:\/var\/lib\/postgresql\/data$/)])
    );
    expect(postgresql).toHaveProperty('healthcheck.test');

    expect(schema?.image).toMatch(/^temporalio\/admin-tools:/);
    expect(schema?.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(temporal?.image).toMatch(/^temporalio\/server:/); // not the deprecated auto-setup image
    const tag = (image?: string) => image?.split('@')[0]?.split(':')[1];
    expect(tag(temporal?.image)).toEqual(tag(schema?.image)); // one version
    expect(temporal?.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  test('the schema and bootstrap scripts cover both databases, the namespace and every search attribute', async () => {
    const schemaScript = await readFile(join(DEPLOY, 'temporal', 'setup-schema.sh'), 'utf8');
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema']) expect(schemaScript).toContain(step);
    expect(schemaScript).toMatch(/temporal:temporal temporal_visibility:visibility/);
    expect(services['temporal-schema']?.entrypoint).toEqual(['/bin/sh', '/thumbgate/setup-schema.sh']);

    const bootstrap = services['temporal-bootstrap'];
    expect(bootstrap?.entrypoint).toEqual(['/bin/sh', '/thumbgate/bootstrap.sh']);
    expect(bootstrap?.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(bootstrap?.environment?.THUMBGATE_SEARCH_ATTRIBUTES?.split(' ')).toEqual([...searchAttributeFlags]);
    const script = await readFile(join(DEPLOY, 'temporal', 'bootstrap.sh'), 'utf8');
    expect(script).toContain('temporal operator namespace create');
    expect(script).toContain('temporal operator search-attribute create');
  });

  test('the provider task queue has one partition on the production server (docs/provider.md)', async () => {
    const dynamicConfig =
      await yamlFile<Record<string, { value: unknown; constraints?: object }[]>>('temporal/dynamicconfig.yaml');
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
      expect(dynamicConfig[key]).toEqual([
        { value: 1, constraints: { taskQueueName: providerTaskQueueFor(GENERATION_TASK_QUEUE) } },
      ]);
    }
    expect(services.temporal?.volumes).toContain(
      `./temporal/dynamicconfig.yaml:${services.temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH}:ro`
    );
  });

  test('generation and scoring workers scale by replicas, share the store volume and serve metrics', () => {
    expect(workers.map(([name]) => name).sort()).toEqual(['worker-generation', 'worker-scoring']);
    for (const [name, worker] of workers) {
      expect(worker.volumes).toContain('store:/data');
      expect(worker.environment?.THUMBGATE_STORE_DIR).toMatch(/^\/data\//);
      expect(worker.environment?.THUMBGATE_WORKER_ROLES).toBe(name.replace('worker-', ''));
      expect(worker.environment?.THUMBGATE_METRICS_PORT).toMatch(/^\d+$/);
      expect(String(worker.deploy?.replicas)).toMatch(/^\$\{THUMBGATE_(GENERATION|SCORING)_WORKERS:-\d+\}$/);
      expect(worker.depends_on).toMatchObject({
        'temporal-bootstrap': { condition: 'service_completed_successfully' },
      });
      expect(worker.init).toBe(true);
      expect(Number(/^(\d+)s$/.exec(worker.stop_grace_period ?? '')?.[1])).toBeGreaterThanOrEqual(120);
    }
    // The CLI stores manifests and reads results: it needs the same store.
    expect(services.cli?.volumes).toContain('store:/data');
    expect(services.cli?.environment?.THUMBGATE_STORE_DIR).toBe(
      services['worker-generation']?.environment?.THUMBGATE_STORE_DIR
    );
  });

  test('volumes are declared, bind mounts exist, and ports are published on 127.0.0.1 only', () => {
    const named = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) {
          if (!existsSync(join(DEPLOY, source))) throw new Error(`${name} mounts ${source}, which is not in deploy/`);
        } else {
          named.add(source);
        }
      }
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    expect([...named].sort()).toEqual(Object.keys(volumes).sort());
  });

  test('networks: the scoring workers and PostgreSQL sit on internal networks, Temporal is not published', () => {
    const internal = (n: string) => networks[n]?.internal === true;
    for (const name of ['temporal', 'database', 'metrics']) expect(internal(name)).toBe(true);
    const scoring = services['worker-scoring']!;
    // No way out for the service that decodes untrusted images: every network it is on is internal.
    expect(scoring.networks?.length).toBeGreaterThan(0);
    for (const n of scoring.networks ?? []) expect(internal(n)).toBe(true);
    // Of the services it can reach, only those it needs publish a port: the UI (reads Temporal) and Prometheus.
    const neighbours = Object.entries(services).filter(
      ([name, s]) => name !== 'worker-scoring' && (s.networks ?? []).some((n) => scoring.networks?.includes(n))
    );
    expect(
      neighbours
        .filter(([, s]) => s.ports?.length)
        .map(([name]) => name)
        .sort()
    ).toEqual(['prometheus', 'temporal-ui']);
    // The frontend has no authentication: nothing publishes it, and only the server side reaches the database.
    expect(services.temporal?.ports).toBeUndefined();
    const onDatabase = Object.entries(services).filter(([, s]) => s.networks?.includes('database'));
    expect(onDatabase.map(([name]) => name).sort()).toEqual(['postgresql', 'temporal', 'temporal-schema']);
    // Only the generation workers (provider, callbacks) and model-pull (the hub) get out; the rest publish UIs.
    const outside = Object.entries(services).filter(([, s]) => (s.networks ?? []).some((n) => !internal(n)));
    const published = ['codec-server', 'grafana', 'prometheus', 'temporal-ui'];
    expect(outside.map(([name]) => name).sort()).toEqual(['model-pull', ...published, 'worker-generation'].sort());
    expect(
      Object.entries(services)
        .filter(([, s]) => s.ports?.length)
        .map(([name]) => name)
        .sort()
    ).toEqual(published);
    // Every service names its networks: none falls back to compose's default network, which has a way out.
    for (const [name, s] of Object.entries(services)) {
      if (!s.networks?.length) throw new Error(`${name} names no network`);
    }
  });

  test('the Temporal UI is read-only by default and decodes payloads through the codec server', () => {
    const ui = services['temporal-ui']!;
    expect(defaulted(ui.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS)).toBe('true');
    const codec = services['codec-server']!;
    const port = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(codec.ports?.[0] ?? '');
    expect(port).not.toBeNull();
    expect(ui.environment?.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${port![1]}`);
    expect(codec.command).toEqual(expect.arrayContaining(['codec-server', '--port', port![2]]));
    // The browser's origin is the UI's published address.
    const uiPort = /^127\.0\.0\.1:(\d+):/.exec(ui.ports?.[0] ?? '')?.[1];
    const origin = codec.command?.[codec.command.indexOf('--allow-origin') + 1];
    expect(origin).toBe(`http://localhost:${uiPort}`);
    expect(codec.environment?.THUMBGATE_PAYLOAD_KEYS).toMatch(/^\$\{THUMBGATE_PAYLOAD_KEYS:\?/);
    // The Host the browser sends for the UI's endpoint is one the codec server answers (DNS-rebinding check).
    const allowHosts = (codec.command ?? []).flatMap((arg, i, all) => (all[i - 1] === '--allow-host' ? [arg] : []));
    const endpointHost = new URL(ui.environment!.TEMPORAL_CODEC_ENDPOINT!).host;
    expect(allowedHostHeaders(allowHosts, Number(port![2])).has(endpointHost)).toBe(true);
  });

  test('workers and the CLI require the payload keys; generation workers get the callback secrets', () => {
    for (const name of ['worker-generation', 'worker-scoring', 'cli']) {
      const env = services[name]?.environment;
      expect(env?.THUMBGATE_PAYLOAD_KEYS).toBe(
        '${THUMBGATE_PAYLOAD_KEYS:?set THUMBGATE_PAYLOAD_KEYS (docs/operations.md#payload-encryption)}'
      );
      expect(env?.THUMBGATE_PAYLOAD_KEY_ID).toBe('${THUMBGATE_PAYLOAD_KEY_ID:-}');
      // Input from a client without the keys is refused (0 in deploy/.env while older histories are kept).
      expect(defaulted(env?.THUMBGATE_PAYLOAD_REQUIRE)).toBe('1');
    }
    const generation = services['worker-generation']?.environment;
    expect(generation?.THUMBGATE_WEBHOOK_SECRET).toBe('${THUMBGATE_WEBHOOK_SECRET:-}');
    expect(generation?.THUMBGATE_WEBHOOK_SECRETS).toBe('${THUMBGATE_WEBHOOK_SECRETS:-}');
  });

  test('public images are pinned by digest (the one exception is listed)', async () => {
    // No digest for this tag could be verified when the images were pinned; docs/operations.md says so.
    const tagOnly = new Set(['temporalio/ui:2.49.1']);
    const dev = parse(await readFile(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const images = [...Object.values(services), ...Object.values(dev.services)]
      .map((s) => s.image)
      .filter((image): image is string => image !== undefined && !image.startsWith('${THUMBGATE_IMAGE'));
    expect(images.length).toBeGreaterThanOrEqual(7);
    for (const image of images) {
      if (!tagOnly.has(image)) expect(image).toMatch(/^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    }
  });

  test('workers serve metrics on every interface of their container, for Prometheus on the internal network', () => {
    for (const [, worker] of workers) {
      expect(worker.environment?.THUMBGATE_METRICS_HOST).toBe('0.0.0.0');
      expect(worker.networks).toContain('metrics');
    }
    expect(services.prometheus?.networks).toContain('metrics');
  });

  test('Prometheus scrapes every worker service on its metrics port, and the Temporal server', () => {
    const jobs = prometheus.scrape_configs.filter((j) => j.dns_sd_configs);
    const scraped = jobs.flatMap((j) => j.dns_sd_configs!.flatMap((d) => d.names.map((n) => [n, d.port] as const)));
    expect(scraped.sort()).toEqual(
      workers.map(([name, w]) => [name, Number(w.environment?.THUMBGATE_METRICS_PORT)] as const).sort()
    );
    const serverPort = services.temporal?.environment?.PROMETHEUS_ENDPOINT?.split(':')[1];
    const statics = prometheus.scrape_configs.flatMap((j) => j.static_configs ?? []).flatMap((s) => s.targets);
    expect(statics).toContain(`temporal:${serverPort}`);
    expect(services.prometheus?.volumes).toContain('./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  test('Grafana provisions the Prometheus datasource and loads the dashboard from its mount', async () => {
    const ds = await yamlFile<{ datasources: { uid: string; type: string; url: string }[] }>(
      'grafana/provisioning/datasources/prometheus.yml'
    );
    expect(ds.datasources).toEqual([
      expect.objectContaining({ uid: 'thumbgate-prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const providers = await yamlFile<{ providers: { options: { path: string } }[] }>(
      'grafana/provisioning/dashboards/thumbgate.yml'
    );
    const mount = services.grafana?.volumes?.find((v) => v.startsWith('./grafana/dashboards:'))?.split(':')[1];
    expect(providers.providers.map((p) => p.options.path)).toEqual([mount]);
    expect(services.grafana?.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');

    // Every panel queries that datasource.
    for (const panel of dashboard.panels ?? []) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: ds.datasources[0]!.uid });
    }
  });

  test('the dashboard is a Grafana dashboard whose panels each query metrics the workers export', () => {
    expect(dashboard.uid).toBe('thumbgate');
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const panels = dashboard.panels ?? [];
    expect(panels.length).toBeGreaterThanOrEqual(5);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const exprs: string[] = [];
    for (const panel of panels) {
      expect(panel).toMatchObject({ title: expect.any(String), type: expect.any(String), gridPos: expect.any(Object) });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.refId).toMatch(/^[A-Z]$/);
        expect(target.expr).toEqual(expect.any(String));
        const metrics = promqlMetrics(target.expr!);
        expect(metrics.length).toBeGreaterThan(0);
        for (const metric of metrics) {
          if (!THUMBGATE_METRICS.has(metric) && !SDK_METRIC.test(metric)) {
            throw new Error(`panel "${panel.title}" queries ${metric}, which no worker exports`);
          }
        }
        exprs.push(target.expr!);
      }
    }
    // The panels operations relies on (docs/operations.md, "Dashboard").
    const queries = (pattern: RegExp) => exprs.some((e) => pattern.test(e));
    expect(queries(/increase\(thumbgate_spend_usd_total\[1h\]\)/)).toBe(true); // spend per hour
    expect(queries(/thumbgate_spend_usd_total.*\/.*thumbgate_thumbnails_total\{phase="draft",outcome="usable"\}/)).toBe(
      true
    );
    expect(queries(/sum by \(status\) \(rate\(thumbgate_provider_calls_total/)).toBe(true);
    expect(
      queries(/thumbgate_reroll_wins_total.*\/.*thumbgate_thumbnails_total\{phase="reroll",outcome="usable"\}/)
    ).toBe(true);
    expect(queries(/temporal_activity_execution_latency_seconds_count\{activity_type="scoreCandidates"\}/)).toBe(true);
    expect(queries(/thumbgate_score_bucket/)).toBe(true);
    expect(queries(/histogram_quantile\(0\.95, .*thumbgate_provider_latency_seconds_bucket/)).toBe(true);
  });

  test('the PromQL check catches a metric that does not exist', () => {
    expect(
      promqlMetrics('sum by (le, model) (rate(thumbgate_provider_latency_seconds_bucket{model="x"}[5m]))')
    ).toEqual(['thumbgate_provider_latency_seconds_bucket']);
    expect(promqlMetrics('sum(increase(thumbgate_spend_usd_total[1h])) / sum(up{job="a"})')).toEqual([
      'thumbgate_spend_usd_total',
      'up',
    ]);
    expect(() => promqlMetrics('label_replace(thumbgate_score_count, "a", "b", "c", "d")')).toThrow(/label_replace/);
  });
});
