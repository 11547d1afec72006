import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every `.ts` file of the services and libs but tests and generated code. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'generated', 'dist', 'test'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/**
 * The metric names the code registers, read from the prom-client definitions (`name: 'slidecharge_...'`,
 * or a `..._METRIC = 'slidecharge_...'` constant the definition uses), so renaming a metric in code
 * fails this test until the rules and the dashboard follow.
 */
function registeredMetrics(): { names: Set<string>; histograms: Set<string> } {
  const names = new Set<string>();
  const histograms = new Set<string>();
  for (const file of [...sourceFiles('libs'), ...sourceFiles('services')]) {
    const text = read(file);
    for (const m of text.matchAll(/(?:\bname:\s*|_METRIC\s*=\s*)'(slidecharge_[a-z0-9_]+)'/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/new Histogram\(\{\s*name:\s*'(slidecharge_[a-z0-9_]+)'/g)) histograms.add(m[1] as string);
  }
  return { names, histograms };
}

const PROMETHEUS_BUILTINS = new Set(['up']);

/** The metric names an expression reads (slidecharge_* and the scrape's own `up`). */
function metricsIn(expr: string): string[] {
  const found = [...expr.matchAll(/\b(slidecharge_[a-z0-9_]+)/g)].map((m) => m[1] as string);
  if (/\bup\{/.test(expr)) found.push('up');
  return found;
}

/** A name an expression may use: a registered metric, or a histogram's _bucket/_count/_sum series. */
function isKnown(name: string, registered: ReturnType<typeof registeredMetrics>): boolean {
  if (PROMETHEUS_BUILTINS.has(name) || registered.names.has(name)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && registered.histograms.has(base);
}

/** GitHub's anchor of a markdown heading. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr?: string; datasource?: { uid: string } }[];
}

const registered = registeredMetrics();
const alerts = (parse(read('ops/prometheus/alerts.yml')) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read('ops/grafana/slidecharge-dashboard.json')) as {
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');

describe('the metric names in code', () => {
  it('include the business metrics the rules and the dashboard are built on', () => {
    for (const name of ['slidecharge_charge_lag_seconds', 'slidecharge_charges_posted_total', 'slidecharge_qc_verdicts_total', 'slidecharge_scans_total', 'slidecharge_outbox_backlog', 'slidecharge_consumer_lag']) {
      expect(registered.names).toContain(name);
    }
    expect(registered.histograms).toContain('slidecharge_charge_lag_seconds');
  });
});

describe('ops/prometheus/prometheus.yml', () => {
  const config = parse(read('ops/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; metrics_path: string; authorization: { type: string; credentials_file: string }; static_configs: { targets: string[] }[] }[];
  };

  it('scrapes the five services on their ports, each with a bearer token from a file', () => {
    const targets = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]));
    expect(targets).toEqual({
      accession: ['127.0.0.1:3001'],
      'scanner-events': ['127.0.0.1:3002'],
      qc: ['127.0.0.1:3003'],
      billing: ['127.0.0.1:3004'],
      'ops-console': ['127.0.0.1:3005'],
    });
    for (const job of config.scrape_configs) {
      expect(job.metrics_path).toBe('/metrics');
      expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: expect.stringMatching(/^\//) });
    }
  });

  it('loads the alert rules next to it', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
  });
});

describe('ops/prometheus/alerts.yml', () => {
  const headings = new Set([...read('docs/operations.md').matchAll(/^#{2,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));

  it('has the alerts the on-call engineers need', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      expect.arrayContaining([
        'ChargeLagP95High',
        'ChargesMissingWhileScansArrive',
        'ConsumerLagHigh',
        'DeadLettersGrowing',
        'DeliveriesNotSendableGrowing',
        'DftDeliveriesFailed',
        'HeldValueHigh',
        'OutboxBacklogGrowing',
        'ServiceDown',
      ]),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has for, severity, summary, description and a runbook in docs/operations.md', (_name, alert) => {
    expect(alert.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning']).toContain(alert.labels?.['severity']);
    expect(alert.annotations?.['summary']).toEqual(expect.any(String));
    expect(alert.annotations?.['description']).toEqual(expect.any(String));
    const runbook = alert.annotations?.['runbook_url'] ?? '';
    expect(runbook).toMatch(/^docs\/operations\.md#[a-z0-9-]+$/);
    expect(headings).toContain(runbook.split('#')[1]);
  });

  it.each(alerts.map((a) => [a.alert, a.expr] as const))('%s reads only metrics the services register', (_name, expr) => {
    const used = metricsIn(expr);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !isKnown(name, registered))).toEqual([]);
  });
});

describe('ops/grafana/slidecharge-dashboard.json', () => {
  it('asks for the Prometheus data source as a variable', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
  });

  it.each(panels.map((p) => [p.title, p] as const))('panel "%s" has the data source and targets that read registered metrics', (_title, panel) => {
    expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(panel.targets?.length).toBeGreaterThan(0);
    for (const target of panel.targets ?? []) {
      const used = metricsIn(target.expr ?? '');
      expect(used.length).toBeGreaterThan(0);
      expect(used.filter((name) => !isKnown(name, registered))).toEqual([]);
    }
  });

  it('shows the numbers on-call engineers asked for', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    for (const name of [
      'slidecharge_charge_lag_seconds_bucket',
      'slidecharge_charges_posted_total',
      'slidecharge_charges_held',
      'slidecharge_charges_held_value_cents',
      'slidecharge_unmatched_scans',
      'slidecharge_qc_verdicts_total',
      'slidecharge_scans_total',
      'slidecharge_messages_dead_lettered_total',
      'slidecharge_deliveries',
      'slidecharge_consumer_lag',
      'slidecharge_outbox_backlog',
    ]) {
      expect(exprs).toContain(name);
    }
    expect(exprs).toMatch(/\bup\{/);
  });
});

test('the sources scanned for metric names are the services and libs (sanity of the walk)', () => {
  const files = [...sourceFiles('libs'), ...sourceFiles('services')].map((f) => relative(ROOT, join(ROOT, f)));
  expect(files).toContain(join('libs', 'messaging', 'src', 'metrics.ts'));
  expect(files).toContain(join('services', 'billing', 'src', 'metrics', 'billing.metrics.ts'));
});
