// Command-line options of scripts/bench.mjs: `--name value` pairs, and flags (`--baseline`) that take
// no value. Pure: no process state.

/** `--a 1 --flag --b x` -> { a: '1', flag: true, b: 'x' }. */
export function parseArgs(argv) {
  const args = {};
  argv.forEach((word, i) => {
    if (!word.startsWith('--')) return;
    const next = argv[i + 1];
    args[word.slice(2)] = next === undefined || next.startsWith('--') ? true : next;
  });
  return args;
}

/** The benchmark's settings from parsed options and the environment. */
export function benchSettings(args, env) {
  return {
    cases: Number(args.cases ?? 200),
    specimensPerCase: Number(args.specimens ?? 2),
    slidesPerSpecimen: Number(args.slides ?? 2),
    via: args.via ?? 'http',
    batch: Number(args.batch ?? 100),
    concurrency: Number(args.concurrency ?? 8),
    rate: Number(args.rate ?? 0),
    payer: args.payer ?? 'AETNA',
    mode: benchMode(args),
    baselineEvents: Number(args['baseline-events'] ?? 20_000),
    accessionUrl: env.ACCESSION_URL ?? 'http://127.0.0.1:3001',
    scannerUrl: env.SCANNER_URL ?? 'http://127.0.0.1:3002',
    billingUrl: env.BILLING_URL ?? 'http://127.0.0.1:3004',
    kafkaBrokers: env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    databaseUrl: env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/slidecharge',
  };
}

/** 'slidecharge' (the stack only, as before), 'both' (--baseline) or 'baseline' (--baseline-only). */
function benchMode(args) {
  if (args['baseline-only']) return 'baseline';
  return args.baseline ? 'both' : 'slidecharge';
}
