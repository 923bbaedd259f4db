/**
 * The suite's processes: the production bundle's build, forked helpers spoken to over IPC (the
 * floor, the load generator), benchmark scripts run as children, readings of a process's CPU and
 * memory from /proc, and clean-up that runs on success, failure and Ctrl-C alike.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpuPercent, parseProcStatCpuSeconds, parseVmRssMiB } from './stats.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Clean-up steps, run last-registered first, once. */
const cleanups: Array<{ name: string; run: () => Promise<void> | void }> = [];
let cleaning: Promise<void> | null = null;

export function onCleanup(name: string, run: () => Promise<void> | void): () => void {
  const entry = { name, run };
  cleanups.push(entry);
  return () => {
    const index = cleanups.indexOf(entry);
    if (index !== -1) cleanups.splice(index, 1);
  };
}

export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const { name, run } = cleanups.pop()!;
      try {
        await run();
      } catch (error) {
        console.error(`clean-up "${name}" failed:`, error);
      }
    }
  })();
  return cleaning;
}

let interruptedBy: string | null = null;
/** The signal that interrupted the run, if one did (an interrupted run writes no report). */
export const interrupted = (): string | null => interruptedBy;

/** Ctrl-C or SIGTERM: stop children, drop databases, then exit. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interruptedBy = signal;
      console.error(`\n${signal}: stopping and dropping the benchmark databases`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}

export function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** `npm run build -w @scheduler/server`: apps/server/dist/main.mjs, what `npm start` runs. */
export function buildBundle(): Promise<void> {
  return run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '-w', '@scheduler/server']);
}

/** Stops a child and waits for it to exit (SIGKILL after `graceMs`). */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A forked TypeScript module (through tsx) answering one IPC message with one IPC message. */
export interface Helper<Request, Reply> {
  child: ChildProcess;
  ask(request: Request): Promise<Reply>;
  stop(): Promise<void>;
}

export async function forkHelper<Request, Reply>(
  module: string,
  env: Record<string, string> = {},
): Promise<{ helper: Helper<Request, Reply>; hello: unknown }> {
  const child = fork(fileURLToPath(new URL(module, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const unregister = onCleanup(module, () => stopChild(child));
  const hello = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${module} exited with ${code} before it was ready`)));
  });
  let queue = Promise.resolve() as Promise<unknown>;
  const ask = (request: Request) => {
    const answer = queue.then(
      () =>
        new Promise<Reply>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`${module} exited with ${code}`));
          child.once('exit', onExit);
          child.once('message', (reply) => {
            child.off('exit', onExit);
            resolve(reply as Reply);
          });
          child.send(request as object);
        }),
    );
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    hello,
    helper: {
      child,
      ask,
      stop: async () => {
        unregister();
        await stopChild(child);
      },
    },
  };
}

/** Runs a benchmark script (`node --import tsx bench/<script>`) and returns the JSON lines it printed. */
export function runScript(script: string, args: string[], onExit: (pid: number) => Promise<void>): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const unregister = onCleanup(script, async () => {
      await stopChild(child);
      await onExit(child.pid!);
    });
    let out = '';
    let shown = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const complete = out.lastIndexOf('\n') + 1;
      for (const line of out.slice(shown, complete).split('\n').filter(Boolean)) console.log(`  [${script}] ${line}`);
      shown = complete;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      unregister();
      void onExit(child.pid!).finally(() => {
        if (code !== 0) return reject(new Error(`bench/${script} exited with ${code}`));
        const lines = out.split('\n').filter((l) => l.startsWith('{'));
        resolve(
          lines.flatMap((l) => {
            try {
              return [JSON.parse(l) as Record<string, unknown>];
            } catch {
              return [];
            }
          }),
        );
      });
    });
  });
}

export function cpuSecondsOf(pid: number): number {
  return parseProcStatCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function rssMiBOf(pid: number): number {
  return parseVmRssMiB(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** Samples a process's VmRSS every `everyMs` until stop(); stop() gives the highest seen. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = rssMiBOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiBOf(pid));
    } catch {
      // the process has gone; keep what was seen
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      try {
        peak = Math.max(peak, rssMiBOf(pid));
      } catch {
        // gone
      }
      return peak;
    },
  };
}

/** Server CPU (% of one core) and peak RSS (MiB) while `work` runs. */
export async function watch<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpuPercent: number; peakRssMiB: number; seconds: number }> {
  const rss = sampleRss(pid);
  const cpuBefore = cpuSecondsOf(pid);
  const started = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    return { result, cpuPercent: cpuPercent(cpuBefore, cpuSecondsOf(pid), seconds), peakRssMiB: rss.stop(), seconds };
  } finally {
    rss.stop();
  }
}
