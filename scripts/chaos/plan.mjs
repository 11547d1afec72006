// What a fault campaign sends and which faults it injects, decided up front from a seed (pure: the
// same seed and settings give the same plan, so a failing campaign can be run again as it was).

/** mulberry32: a small, well-known seeded PRNG; returns floats in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (random, weights) => {
  let r = random() * Object.values(weights).reduce((a, b) => a + b, 0);
  for (const [name, weight] of Object.entries(weights)) if ((r -= weight) < 0) return name;
  return Object.keys(weights)[0];
};

function shuffled(random, items) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export const SPECIMENS = 'ABCDEFGHIJ';
export const slideBarcode = (accession, specimen, n) => `${accession}-${specimen}1-${n}`;

/**
 * The cases (each sent over HTTP or as an HL7 order over MLLP), one passing scan-completed per slide
 * (over HTTP, the ingress topic or DICOM JSON), the cases cancelled once charged (their charges must be
 * credited once each), the malformed ingress messages (each must become exactly one dead letter), and
 * the charge keys the ledger expects.
 */
export function campaignPlan(settings) {
  const random = seededRandom(settings.seed);
  const run = `X${settings.seed.toString(36).toUpperCase()}${Date.now().toString(36).slice(-4).toUpperCase()}`;
  const specimens = SPECIMENS.slice(0, settings.specimens).split('');
  const cases = Array.from({ length: settings.cases }, (_, i) => ({
    accession: `${run}-${i + 1}`,
    via: pick(random, { http: 4, hl7: 1 }),
    cancel: random() < settings.cancelShare,
  }));
  const scans = [];
  for (const c of cases) for (const sp of specimens) for (let n = 1; n <= settings.slides; n++) {
    scans.push({ accession: c.accession, via: pick(random, { http: 5, kafka: 4, dicom: 1 }), barcode: slideBarcode(c.accession, sp, n) });
  }
  const badInputs = Array.from({ length: settings.badInputs }, (_, i) => `${run}-BAD-${i + 1}`);
  return { run, specimens, cases, scans: shuffled(random, scans), badInputs, expected: expectedLedger(cases, specimens) };
}

/** chargeKey -> { accession, credited }: one 0753T per 88305 specimen; cancelled cases credited. */
function expectedLedger(cases, specimens) {
  const charges = new Map();
  for (const c of cases) for (const sp of specimens) charges.set(`${c.accession}/${sp}/0753T`, { accession: c.accession, credited: c.cancel });
  return charges;
}

export const SERVICES = ['accession', 'scanner-events', 'qc', 'billing', 'ops-console'];

/** Network faults between the services and Kafka or Postgres, in the order they are taken (through the fault proxies). */
const NETWORK_FAULTS = [
  { target: 'postgres', action: 'blackhole' },
  { target: 'kafka', action: 'reset' },
  { target: 'kafka', action: 'blackhole' },
  { target: 'postgres', action: 'reset' },
  { target: 'postgres', action: 'latency' },
  { target: 'kafka', action: 'latency' },
];

const BROKER_ROLES = ['leader', 'controller', 'follower'];

/**
 * The faults in the order they are injected: `kills` SIGKILLs spread over every service (each at least
 * once when kills >= 5), `brokerRestarts` broker restarts, `postgresRestarts` Postgres restarts and
 * `networkFaults` network faults (blackhole, reset, latency toward Kafka or Postgres), shuffled; each kill's restart waits a random 0.2-2 s, as a supervisor's backoff would.
 */
export function faultSchedule(settings) {
  const random = seededRandom(settings.seed ^ 0x5eed);
  const faults = [];
  for (let i = 0; i < settings.kills; i++) faults.push({ kind: 'kill', service: SERVICES[i % SERVICES.length] });
  // On a cluster, the broker faults take the partition leader, the active controller and a follower in turn.
  for (let i = 0; i < settings.brokerRestarts; i++) faults.push({ kind: 'broker-restart', ...(settings.kafkaNodes > 1 && { role: BROKER_ROLES[i % BROKER_ROLES.length] }) });
  for (let i = 0; i < settings.postgresRestarts; i++) faults.push({ kind: 'postgres-restart' });
  for (let i = 0; i < settings.networkFaults; i++) faults.push({ kind: 'network', ...NETWORK_FAULTS[i % NETWORK_FAULTS.length] });
  // A network fault holds 3-8 s (a blackhole, added latency); a process or server stays down 0.2-2 s.
  return shuffled(random, faults).map((f) => ({ ...f, downMs: f.action === 'reset' ? 0 : Math.round(f.kind === 'network' ? 3000 + random() * 5000 : 200 + random() * 1800) }));
}
