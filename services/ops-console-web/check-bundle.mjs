// Fails the build when the browser bundle pulled in what must stay on the server: zod (the topic
// schemas of libs/contracts) or node built-ins. The front end imports only libs/contracts/src/ops-console.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '../../dist/services/ops-console-web/assets');
const forbidden = [/ZodError/, /\$ZodType/, /from"node:/, /require\("node:/];
const found = readdirSync(dir)
  .filter((f) => f.endsWith('.js'))
  .flatMap((f) => forbidden.filter((re) => re.test(readFileSync(join(dir, f), 'utf8'))).map((re) => `${f}: ${re}`));
if (found.length > 0) {
  console.error(`ops-console-web: the bundle contains server code:\n${found.join('\n')}`);
  process.exit(1);
}
console.log('ops-console-web: bundle checked (no zod, no node built-ins)');
