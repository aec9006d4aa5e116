/**
 * CPU accounting from /proc (Linux only): per-process utime+stime, the machine's busy time, the children of a
 * process, and which local TCP ports a process holds towards a server port (to find its PostgreSQL backends
 * in pg_stat_activity by client_port).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
export const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in seconds. */
  cpuS: number;
  /** stime alone: time in the kernel (system calls: socket reads and writes, ...). */
  sysS: number;
  /**
   * Seconds the MAIN thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat, field 2). For Node this
   * is the event loop: how long it was starved of CPU by the other processes.
   */
  runQueueWaitS: number;
  /** When it started, in clock ticks since boot (/proc/<pid>/stat field 22): tells a recycled pid from its earlier process. */
  startTicks?: number;
}

/**
 * Are two readings of one pid the same process? (pid_max can be 32768: pids are reused within a bench run.) By its
 * start time, not its name: a kernel worker renames itself for every work item (kworker/1:0-events, -mm_percpu_wq),
 * and a process may set its title; the name decides only when a reading has no start time.
 */
export function sameProcess(a: ProcInfo, b: ProcInfo): boolean {
  return a.startTicks !== undefined && b.startTicks !== undefined ? a.startTicks === b.startTicks : a.comm === b.comm;
}

function runQueueWait(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return Number(f[1] ?? 0) / 1e9;
  } catch {
    return 0;
  }
}

export function procInfo(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // comm is in parentheses and may itself hold spaces or parentheses: split after the LAST ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] = state (field 3); ppid = field 4; utime = field 14; stime = field 15; starttime = field 22.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const startTicks = Number(rest[19]);
  return { pid, ppid, comm, cpuS: (utime + stime) / CLK_TCK, sysS: stime / CLK_TCK, runQueueWaitS: runQueueWait(pid), startTicks };
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

export function allProcs(): ProcInfo[] {
  return allPids()
    .map(procInfo)
    .filter((p): p is ProcInfo => p !== undefined);
}

/** The live children of `parent` (a cluster primary's workers), optionally only those whose command line includes `command`. */
export function childProcs(parent: number, command?: string): ProcInfo[] {
  return allProcs().filter((p) => p.ppid === parent && (command === undefined || cmdline(p.pid).includes(command)));
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function environ(pid: number): Record<string, string> {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return {};
  }
}

/** Busy and total CPU seconds of the whole machine (all cores) since boot, from the `cpu` line of /proc/stat. */
export function machineCpu(): { busyS: number; totalS: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '))!;
  // user nice system idle iowait irq softirq steal guest guest_nice (guest* are already inside user/nice)
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busyS: busy / CLK_TCK, totalS: (busy + idle + iowait) / CLK_TCK };
}

/** Per-pid CPU seconds of every process right now (one pass over /proc). */
export interface CpuSnapshot {
  at: number;
  procs: Map<number, ProcInfo>;
  machine: { busyS: number; totalS: number };
}

export function cpuSnapshot(): CpuSnapshot {
  const procs = new Map<number, ProcInfo>();
  for (const p of allProcs()) procs.set(p.pid, p);
  return { at: performance.now(), procs, machine: machineCpu() };
}

/**
 * CPU seconds each process used between two snapshots. A process that started in between counts from zero
 * (all its time is inside the window); one that exited in between is missing from a plain snapshot (its time is
 * lost): a `ProcTally` (cpu-sampler.ts) puts such processes back at their last reading.
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot, pid: number): number {
  const a = after.procs.get(pid);
  if (!a) return 0;
  const b = before.procs.get(pid);
  // A recycled pid is a new process.
  return b && sameProcess(b, a) ? Math.max(0, a.cpuS - b.cpuS) : a.cpuS;
}

/** Run-queue wait of the main thread between two snapshots (0 for a process that is gone). */
export function runQueueWaitDelta(before: CpuSnapshot, after: CpuSnapshot, pid: number): number {
  const a = after.procs.get(pid);
  if (!a) return 0;
  const b = before.procs.get(pid);
  return b && sameProcess(b, a) ? Math.max(0, a.runQueueWaitS - b.runQueueWaitS) : a.runQueueWaitS;
}

/** Kernel (system) CPU seconds between two snapshots. */
export function sysDelta(before: CpuSnapshot, after: CpuSnapshot, pid: number): number {
  const a = after.procs.get(pid);
  if (!a) return 0;
  const b = before.procs.get(pid);
  return b && sameProcess(b, a) ? Math.max(0, a.sysS - b.sysS) : a.sysS;
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Local ports of the TCP connections `pid` holds to `remotePort` (IPv4 and IPv6). */
export function clientPortsTo(pid: number, remotePort: number): number[] {
  const inodes = socketInodes(pid);
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1]!;
      const remote = f[2]!;
      const inode = f[9]!;
      if (!inodes.has(inode)) continue;
      if (parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16) !== remotePort) continue;
      ports.push(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), in bytes; undefined once gone. */
export function residentMemory(pid: number): { rssBytes: number; peakBytes: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') };
}

/** Starts a process's peak (VmHWM) again from its resident memory now (`5` to /proc/<pid>/clear_refs). False if refused. */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
