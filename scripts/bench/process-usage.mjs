// Memory and CPU of processes, read from /proc (Linux): RSS at a moment (/proc/<pid>/status VmRSS)
// and CPU time used so far (/proc/<pid>/stat utime + stime), so that a run reports RSS at its end and
// CPU seconds per 1,000 events between two samples.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';

/** Resident set size in kB from the text of /proc/<pid>/status. */
export function rssKb(statusText) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  if (!match) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(match[1]);
}

/**
 * User + system CPU time in clock ticks from the text of /proc/<pid>/stat. The command name (field 2)
 * is in parentheses and may hold spaces, so fields are counted after its closing parenthesis: field 3
 * (state) is the first, utime (14) the 12th, stime (15) the 13th.
 */
export function cpuTicks(statText) {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU seconds per 1,000 events between two samples of one process (3 decimals). */
export const cpuSecondsPer1000 = (before, after, events) => +(((after.cpuSeconds - before.cpuSeconds) / events) * 1000).toFixed(3);

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** RSS (MB) and CPU seconds used so far by a process; undefined when it is gone. */
export function sampleProcess(pid) {
  try {
    const rssMb = Math.round(rssKb(readFileSync(`/proc/${pid}/status`, 'utf8')) / 1024);
    return { rssMb, cpuSeconds: cpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

/** Samples named processes ({ name: pid }) at once: { name: { pid, rssMb, cpuSeconds } }. */
export function sampleAll(pids) {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid && { pid, ...sampleProcess(pid) }]));
}

/**
 * What each process used between two samples: RSS at the end and CPU seconds per 1,000 events, or a
 * note when the process was not found.
 */
export function usageBetween(before, after, events) {
  return Object.fromEntries(Object.keys(after).map((name) => [name, usageOf(before[name], after[name], events)]));
}

function usageOf(before, after, events) {
  if (before?.cpuSeconds === undefined || after?.cpuSeconds === undefined) return { note: 'process not found' };
  return { pid: after.pid, rssMb: after.rssMb, cpuSecondsPer1000Events: cpuSecondsPer1000(before, after, events) };
}

/**
 * The pids of the stack's service processes (scripts/stack.sh): its pid files (tmp/stack/<service>.pid),
 * else `pgrep -f` on the service's dist entry point, run from this checkout (root); undefined for one
 * not running.
 */
export function stackServicePids(root, services) {
  return Object.fromEntries(services.map((s) => [s, pidFromFile(`${root}tmp/stack/${s}.pid`) ?? pidFromPgrep(`dist/services/${s}/services/${s}/src/main.js`, root)]));
}

function pidFromFile(path) {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return existsSync(`/proc/${pid}`) ? pid : undefined;
}

/** stack.sh starts `node dist/...` from the checkout's root: another checkout's stack is not this one. */
function pidFromPgrep(entryPoint, root) {
  try {
    const pids = execFileSync('pgrep', ['-f', entryPoint], { encoding: 'utf8' }).trim().split('\n').map(Number);
    return pids.find((pid) => `${realpathSync(`/proc/${pid}/cwd`)}/` === realpathSync(root).replace(/\/?$/, '/'));
  } catch {
    return undefined;
  }
}
