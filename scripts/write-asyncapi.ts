/* Writes docs/asyncapi.json from the topic contracts (npm run docs:asyncapi). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAsyncApiDocument } from '../libs/contracts/src';

const root = join(__dirname, '..');
const version = (require(join(root, 'package.json')) as { version: string }).version;
writeFileSync(join(root, 'docs/asyncapi.json'), JSON.stringify(buildAsyncApiDocument(version), null, 2) + '\n');
console.log('wrote docs/asyncapi.json');
