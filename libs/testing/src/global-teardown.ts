import { stopTestInfra } from './infra';

/** jest globalTeardown beside global-setup.ts: removes the containers testcontainers started (none when the environment gave the services). */
export default async function globalTeardown(): Promise<void> {
  await stopTestInfra();
}
