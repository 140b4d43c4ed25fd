/**
 * docker-compose.yml and the Dockerfile: local-only ports, signals reach node, graceful stops; dclint passes.
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
import { projectRoot } from '../common/paths.js';
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
    const compose = await yamlFile<{ services: Record<string, ComposeService>; volumes: Record<string, unknown> }>(
      'docker-compose.prod.yml'
    );
    services = compose.services;
    volumes = compose.volumes;
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
    expect(temporal?.image?.split(':').slice(1)).toEqual(schema?.image?.split(':').slice(1)); // one version
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
