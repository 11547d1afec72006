import { randomUUID } from 'node:crypto';
import type { PolicySet } from '@slidecharge/billing-rules';
import { chargeIdFor } from '../src/charge/charge-id';
import { PolicySetStore } from '../src/policies/policy-set.store';
import { useBillingHarness } from './harness';
import { barcodeOf, caseEvent, newAccession, passingScans, snapshot } from './support';

/**
 * The cached payer policy set (policy-set.store.ts) against the real Postgres and Kafka: an
 * activation made by another billing instance (here: its two statements written on the test's own
 * connection, as that instance's activate() writes them) reaches this instance by NOTIFY, and the
 * next event is decided under it, with the notification channel up and with it down.
 */
const harness = useBillingHarness({ name: 'billing-policy-cache' });
const { http, send } = harness;
let store: PolicySetStore;
let activeBefore: string;
let current: PolicySet;

beforeAll(async () => {
  store = harness.app.get(PolicySetStore);
  const list = await http().get('/policy-sets').expect(200);
  activeBefore = list.body.items.find((i: { active: boolean }) => i.active).policyVersion;
  current = (await http().get(`/policy-sets/${activeBefore}`).expect(200)).body.policySet;
});

/** What another billing instance's activate() commits: the set (when new) and its activation, in one transaction. */
async function activateElsewhere(version: string, create = true): Promise<void> {
  const client = await harness.pool.connect();
  try {
    await client.query('BEGIN');
    if (create) {
      await client.query(`INSERT INTO billing.policy_set (policy_version, document, created_at, created_by, comment) VALUES ($1, $2, now(), 'another instance', 'policy cache test')`, [
        version,
        JSON.stringify({ ...current, policyVersion: version }),
      ]);
    }
    await client.query(`INSERT INTO billing.policy_activation (policy_version, activated_at, activated_by, comment) VALUES ($1, now(), 'another instance', 'policy cache test')`, [version]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  } finally {
    client.release();
  }
}

/** A barrier: resolves with what the next refresh (the notification's) read. */
function nextRefresh(): Promise<PolicySet> {
  const original = store.refresh.bind(store);
  return new Promise((resolve) => {
    const spy = jest.spyOn(store, 'refresh').mockImplementationOnce(async () => {
      spy.mockRestore();
      const set = await original();
      resolve(set);
      return set;
    });
  });
}

/** Sends a case and its passing scan; returns the policy version its charge records. */
async function chargeVersion(): Promise<string> {
  const acc = newAccession('BPC');
  await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], passingScans([barcodeOf(acc, 'A', 1)]));
  const charge = await http().get(`/charges/${chargeIdFor(`${acc}/A/0753T`)}`).expect(200);
  return charge.body.policyVersion as string;
}

it('an activation by another instance reaches this one by notification, and the next event is decided under it', async () => {
  expect(store.notificationsArriving()).toBe(true);
  expect(await chargeVersion()).toBe(activeBefore);
  const version = `it-cache-${randomUUID().slice(0, 8)}`;
  const refreshed = nextRefresh();
  await activateElsewhere(version);
  try {
    expect((await refreshed).policyVersion).toBe(version);
    expect(await chargeVersion()).toBe(version);
  } finally {
    await activateElsewhere(activeBefore, false);
  }
});

it('with the notification channel down, the next event after an activation is still decided under it (the check in its transaction)', async () => {
  await store.onApplicationShutdown(); // the LISTEN connection closed: no notification arrives
  try {
    expect(store.notificationsArriving()).toBe(false);
    const version = `it-cache-${randomUUID().slice(0, 8)}`;
    await activateElsewhere(version);
    expect(await chargeVersion()).toBe(version);
    await activateElsewhere(activeBefore, false);
    expect(await chargeVersion()).toBe(activeBefore);
  } finally {
    await store.onModuleInit();
  }
  expect(store.notificationsArriving()).toBe(true);
});
