#!/usr/bin/env node
// Checks what ships for operators, without Docker or Prometheus running:
// - compose.yaml against the Compose specification's JSON schema (deploy/compose-spec.schema.json),
//   then what the stack relies on (two nodes behind nginx on :8080, TRUST_PROXY, read-only root);
// - deploy/nginx.conf and docs/deploy.md: X-Forwarded-For replaced with $remote_addr, /metrics
//   and /docs not proxied;
// - the Dockerfile: multi-stage, non-root, HEALTHCHECK on /health/live, base image on .nvmrc's Node;
// - deploy/prometheus: `promtool check rules|config` and `promtool test rules` when promtool is
//   found (PATH or $PROMTOOL; with --fetch-promtool, extracted from Debian's `prometheus`
//   package without installing it, so no service starts), else the rule files' structure;
// - deploy/grafana: the dashboard's structure.
// Exits 1 listing every problem.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as yaml from 'js-yaml';

const root = new URL('..', import.meta.url).pathname;
const read = (path) => readFileSync(join(root, path), 'utf8');
// YAML 1.1: compose files use merge keys (<<: *anchor).
const loadYaml = (path) => yaml.load(read(path), { schema: yaml.YAML11_SCHEMA });
const problems = [];
const notes = [];
const check = (ok, problem) => {
  if (!ok) problems.push(problem);
};

// --- compose.yaml
const compose = loadYaml('compose.yaml');
const schema = JSON.parse(read('deploy/compose-spec.schema.json'));
delete schema.$schema; // draft-07 under an https URL ajv does not know by that name
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);
if (!validate(compose)) {
  for (const error of validate.errors) problems.push(`compose.yaml${error.instancePath || ''}: ${error.message} ${JSON.stringify(error.params)}`);
}
const services = compose.services ?? {};
for (const name of ['mariadb', 'redis', 'parley-1', 'parley-2', 'nginx']) check(name in services, `compose.yaml: no service ${name}`);
const nodes = ['parley-1', 'parley-2'].map((name) => [name, services[name] ?? {}]);
for (const [name, service] of nodes) {
  const env = service.environment ?? {};
  check(env.NODE_ENV === 'production', `compose.yaml: ${name} must run with NODE_ENV=production`);
  check(String(env.TRUST_PROXY) === '1', `compose.yaml: ${name} must set TRUST_PROXY=1 (behind nginx)`);
  check(/^mysql:\/\/.*@mariadb:3306\//.test(env.DATABASE_URL ?? ''), `compose.yaml: ${name} DATABASE_URL must point at mariadb`);
  check(env.REDIS_URL === 'redis://redis:6379', `compose.yaml: ${name} REDIS_URL must point at redis`);
  check(env.NODE_ID === name, `compose.yaml: ${name} needs NODE_ID=${name}`);
  check(service.read_only === true, `compose.yaml: ${name} must run on a read-only root filesystem`);
  check(
    (service.volumes ?? []).some((v) => String(v).endsWith(':/app/data')),
    `compose.yaml: ${name} needs a volume at /app/data`,
  );
  check(service.build?.context === '.', `compose.yaml: ${name} must build the image from this repository`);
  check(!service.ports, `compose.yaml: ${name} must not publish ports (nginx is the way in)`);
}
const nginx = services.nginx ?? {};
check((nginx.ports ?? []).map(String).includes('8080:80'), 'compose.yaml: nginx must publish 8080:80');
const mounted = (nginx.volumes ?? []).map(String).find((v) => v.includes('/etc/nginx/conf.d/'));
check(mounted?.startsWith('./deploy/nginx.conf:'), 'compose.yaml: nginx must mount ./deploy/nginx.conf');

// --- nginx configurations (the compose one and the documented one)
const docNginx = [...read('docs/deploy.md').matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
check(docNginx.length > 0, 'docs/deploy.md: no nginx example');
const withoutComments = (conf) => conf.replace(/#[^\n]*/g, '');
for (const [where, conf] of [['deploy/nginx.conf', read('deploy/nginx.conf')], ...docNginx.map((c) => ['docs/deploy.md (nginx)', c])].map(
  ([w, c]) => [w, withoutComments(c)],
)) {
  const xff = [...conf.matchAll(/proxy_set_header\s+X-Forwarded-For\s+([^;]+);/gi)].map((m) => m[1].trim());
  check(
    xff.length > 0 && xff.every((value) => value === '$remote_addr'),
    `${where}: X-Forwarded-For must be set to $remote_addr (found ${xff.join(', ') || 'none'})`,
  );
  check(!conf.includes('$proxy_add_x_forwarded_for'), `${where}: $proxy_add_x_forwarded_for lets clients forge their address`);
  check(/location\s+=\s*\/metrics\s*\{\s*return\s+404/.test(conf), `${where}: /metrics must not be proxied`);
  check(
    /location\s+\^~\s*\/docs\/\s*\{\s*return\s+404/.test(conf) && /location\s+=\s*\/docs\s*\{\s*return\s+404/.test(conf),
    `${where}: /docs must not be proxied`,
  );
  const upstreams = [...conf.matchAll(/^\s*server\s+[^;{]+:3000;/gm)];
  check(upstreams.length >= 2, `${where}: the upstream needs at least two nodes`);
}

// --- Dockerfile and the Node version
const dockerfile = read('Dockerfile');
const nvmrc = read('.nvmrc').trim();
const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1], name: m[2] }));
check(stages.length >= 2, 'Dockerfile: must be multi-stage');
const baseImage = /^ARG\s+NODE_IMAGE=(\S+)/m.exec(dockerfile)?.[1] ?? '';
check(new RegExp(`^node:${nvmrc}(\\.|-|$)`).test(baseImage), `Dockerfile: base image ${baseImage} is not Node ${nvmrc} (.nvmrc)`);
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
check(/^USER\s+(?!root\b|0\b)\S+/m.test(runtime), 'Dockerfile: the runtime stage must run as a non-root user');
check(/^HEALTHCHECK\b[\s\S]*?\/health\/live/m.test(runtime), 'Dockerfile: HEALTHCHECK must probe /health/live');
check(/^CMD\s+\["node",\s*"dist\/main\.js"\]/m.test(runtime), 'Dockerfile: the runtime must start node dist/main.js (not npm)');
check(!/npm run build|npm ci(?![^\n]*--omit=dev)/.test(runtime), 'Dockerfile: the runtime stage must not build or install dev dependencies');
check(/npm ci[^\n]*--omit=dev/.test(dockerfile), 'Dockerfile: production dependencies come from npm ci --omit=dev');
const engines = JSON.parse(read('package.json')).engines?.node ?? '';
check(engines.includes(nvmrc), `package.json: engines.node (${engines}) does not name Node ${nvmrc} (.nvmrc)`);

// --- Prometheus rules and configuration
const rules = loadYaml('deploy/prometheus/alerts.yml');
for (const group of rules?.groups ?? []) {
  check(typeof group.name === 'string', 'alerts.yml: a group without a name');
  for (const rule of group.rules ?? []) {
    const name = rule.alert ?? '(unnamed)';
    check(typeof rule.alert === 'string' && typeof rule.expr === 'string', `alerts.yml: ${name}: alert and expr are required`);
    check(/^\d+[smh]$/.test(rule.for ?? ''), `alerts.yml: ${name}: needs a for: duration`);
    check(['critical', 'warning'].includes(rule.labels?.severity), `alerts.yml: ${name}: severity critical or warning`);
    check(
      typeof rule.annotations?.summary === 'string' && typeof rule.annotations?.description === 'string',
      `alerts.yml: ${name}: summary and description`,
    );
  }
}
const alertNames = (rules?.groups ?? []).flatMap((g) => (g.rules ?? []).map((r) => r.alert));
for (const wanted of ['ParleyDatabaseDown', 'ParleyRedisDown', 'ParleyEventLoopLag', 'ParleyWebhookQueueGrowing', 'ParleyHttp5xxRate']) {
  check(alertNames.includes(wanted), `alerts.yml: no ${wanted} alert`);
}
const promtool = process.env.PROMTOOL || findOnPath('promtool') || (process.argv.includes('--fetch-promtool') ? fetchPromtool() : null);
if (promtool) {
  const dir = join(root, 'deploy/prometheus');
  for (const args of [
    ['check', 'rules', 'alerts.yml'],
    ['check', 'config', 'prometheus.yml'],
    ['test', 'rules', 'alerts.test.yml'],
  ]) {
    try {
      execFileSync(promtool, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      notes.push(`promtool ${args.join(' ')}: ok`);
    } catch (error) {
      problems.push(`promtool ${args.join(' ')}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
} else {
  notes.push('promtool not found (PATH or $PROMTOOL): rule structure checked, expressions not');
}

// --- Grafana dashboard
const dashboard = JSON.parse(read('deploy/grafana/parley-dashboard.json'));
check(typeof dashboard.uid === 'string' && typeof dashboard.title === 'string', 'dashboard: uid and title');
const ids = new Set();
for (const panel of dashboard.panels ?? []) {
  check(!ids.has(panel.id), `dashboard: panel id ${panel.id} repeated`);
  ids.add(panel.id);
  check(panel.datasource?.uid === '${datasource}', `dashboard: panel "${panel.title}" must use the $datasource variable`);
  check(
    (panel.targets ?? []).length > 0 && panel.targets.every((t) => typeof t.expr === 'string' && t.expr.length > 0),
    `dashboard: panel "${panel.title}" has no query`,
  );
  const g = panel.gridPos ?? {};
  check([g.x, g.y, g.w, g.h].every(Number.isInteger) && g.x + g.w <= 24, `dashboard: panel "${panel.title}" gridPos`);
}

/** promtool from Debian's package, unpacked into a cache directory (apt-get download, dpkg-deb -x). */
function fetchPromtool() {
  const dir = join(process.env.TMPDIR || '/tmp', 'parley-promtool');
  const binary = join(dir, 'usr/bin/promtool');
  if (existsSync(binary)) return binary;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('apt-get', ['download', '-qq', 'prometheus'], { cwd: dir, stdio: 'ignore' });
    const deb = readdirSync(dir).find((name) => /^prometheus_.*\.deb$/.test(name));
    execFileSync('dpkg-deb', ['-x', join(dir, deb), dir], { stdio: 'ignore' });
    return existsSync(binary) ? binary : null;
  } catch {
    notes.push('could not fetch promtool (apt-get download prometheus; run apt-get update first?)');
    return null;
  }
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, command))) return join(dir, command);
  return null;
}

for (const note of notes) console.log(note);
if (problems.length > 0) {
  console.error(`Deploy assets: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('Deploy assets: compose.yaml (Compose specification schema), nginx, Dockerfile, Prometheus rules and the Grafana dashboard check out.');
