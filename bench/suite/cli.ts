/** The suite's command line: `npm run bench -- [--quick] [--out=DIR] [scenario ...]`. Pure. */

export interface Settings {
  quick: boolean;
  /** autocannon connections and WebSocket loops. */
  connections: number;
  /** Seconds per measured run. */
  seconds: number;
  /** Floor/product pairs per scenario; the figures are medians over them. */
  rounds: number;
  /** Unmeasured seconds against each side before the first round. */
  warmupSeconds: number;
  listingEvents: number;
  historyVersions: number;
  batchItems: number;
  batchRuns: number;
  fanoutSubscribers: number;
  idleConnections: number;
  collabEditors: number;
  collabSeconds: number;
}

export const FULL: Settings = {
  quick: false,
  connections: 50,
  seconds: 8,
  rounds: 3,
  warmupSeconds: 2,
  listingEvents: 100_000,
  historyVersions: 10_000,
  batchItems: 10_000,
  batchRuns: 3,
  fanoutSubscribers: 2000,
  idleConnections: 10_000,
  collabEditors: 50,
  collabSeconds: 20,
};

export const QUICK: Settings = {
  ...FULL,
  quick: true,
  seconds: 2,
  rounds: 1,
  warmupSeconds: 1,
  listingEvents: 20_000,
  historyVersions: 2_000,
  batchItems: 2_000,
  batchRuns: 1,
  fanoutSubscribers: 200,
  idleConnections: 1_000,
  collabEditors: 10,
  collabSeconds: 5,
};

export interface Options {
  settings: Settings;
  /** In the order of `known`. */
  scenarios: string[];
  /** Where benchmarks.json and benchmarks.md go; null: the default for the mode. */
  out: string | null;
  help: boolean;
}

export function parseArgs(argv: readonly string[], known: readonly string[]): Options {
  let quick = false;
  let help = false;
  let out: string | null = null;
  const asked = new Set<string>();
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (options: --quick, --out=DIR, --help)`);
    else if (known.includes(arg)) asked.add(arg);
    else throw new Error(`unknown scenario "${arg}"; scenarios: ${known.join(', ')}`);
  }
  return {
    settings: quick ? QUICK : FULL,
    scenarios: asked.size ? known.filter((id) => asked.has(id)) : [...known],
    out,
    help,
  };
}
