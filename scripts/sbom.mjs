#!/usr/bin/env node
// The production dependency tree as a CycloneDX SBOM (docs/sbom.cdx.json), from package-lock.json by
// npm's own `npm sbom`, without the fields that change at every run (timestamp, serial number), so the
// committed file changes only when a dependency does. Checked against advisory feeds where one is
// reachable (the npm registry of the project's machines does not answer `npm audit`).
//   node scripts/sbom.mjs           write docs/sbom.cdx.json
//   node scripts/sbom.mjs --check   exit 1 when docs/sbom.cdx.json no longer matches package-lock.json
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'docs/sbom.cdx.json');

const npm = (args) => execFileSync('npm', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
// npm 11's `npm sbom --omit dev` drops production packages that dev packages also use (e.g. @nestjs/core),
// so the SBOM is made of the whole tree and kept to what `npm ls --omit dev` says production installs.
const production = new Set(
  npm(['ls', '--omit', 'dev', '--all', '--parseable', '--long'])
    .split('\n')
    .map((line) => line.split(':')[1])
    .filter(Boolean),
);
const raw = JSON.parse(npm(['sbom', '--sbom-format', 'cyclonedx']));
delete raw.serialNumber;
delete raw.metadata?.timestamp;
// npm names the root component after the checkout's directory, not package.json: a clone elsewhere
// would not match. Its name is the package's.
if (raw.metadata?.component) raw.metadata.component.name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
raw.components = (raw.components ?? []).filter((c) => production.has(c['bom-ref'])).sort((a, b) => String(a['bom-ref']).localeCompare(String(b['bom-ref'])));
const kept = new Set([raw.metadata?.component?.['bom-ref'], ...raw.components.map((c) => c['bom-ref'])]);
raw.dependencies = (raw.dependencies ?? [])
  .filter((d) => kept.has(d.ref))
  .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((ref) => kept.has(ref)) }));
const text = `${JSON.stringify(raw, null, 2)}\n`;

if (process.argv.includes('--check')) {
  const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (committed !== text) {
    console.error('docs/sbom.cdx.json does not match package-lock.json: run `npm run sbom` and commit it');
    process.exit(1);
  }
  console.log(`docs/sbom.cdx.json matches package-lock.json (${raw.components?.length ?? 0} production packages)`);
} else {
  writeFileSync(file, text);
  console.log(`wrote docs/sbom.cdx.json (${raw.components?.length ?? 0} production packages)`);
}
