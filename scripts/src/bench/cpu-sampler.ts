import type { Client } from 'pg';
import { isClientBackend, isPostgres } from './cpu-groups';
import { allProcs, cpuSnapshot, type CpuSnapshot, type ProcInfo, sameProcess } from './proc-stats';
import { backendOwners, type Proc } from './pipeline/system-procs';

/**
 * CPU windows in which processes come and go. A snapshot at each end of a window misses every process that exited
 * in between (a PostgreSQL backend closed by the pool's idle timeout or after an error, with all the CPU it used),
 * and learns who a backend served only from those still there. `ProcTally` keeps the last reading of every process
 * seen during the window (and its owner), so `end` gives an "after" snapshot where the gone ones still count.
 */
/** With splitCpu's "backends of " prefix, the row every other client's backends are in. */
const OTHER_CLIENTS = 'OTHER clients';

export interface WindowEnd {
  /** The end snapshot with the processes gone meanwhile put back. */
  after: CpuSnapshot;
  /** PostgreSQL backend pid → the label of the client it served. */
  backends: Map<number, string>;
  /** The pids (or keys) in `after` of processes that were gone at the end. */
  gone: Set<number>;
}

export class ProcTally {
  private readonly last = new Map<number, ProcInfo>();
  private readonly owners = new Map<number, string>();
  /** Processes whose pid a later process took over during the window, with their owner. */
  private readonly retired: Array<{ proc: ProcInfo; owner: string | undefined }> = [];
  /** PostgreSQL client backends not (yet) known to serve one of ours: once gone, they are "OTHER clients". */
  private readonly otherClients = new Set<number>();

  /** `isClient`: is this live postgres process a client backend (its command line), not a server helper? */
  constructor(
    private readonly before: CpuSnapshot,
    private readonly isClient: (pid: number) => boolean = isClientBackend,
  ) {
    this.observe(before.procs.values());
  }

  observe(procs: Iterable<ProcInfo>): void {
    for (const p of procs) {
      const seen = this.last.get(p.pid);
      if (seen && !sameProcess(seen, p)) {
        this.retired.push({ proc: seen, owner: this.owners.get(p.pid) ?? (this.otherClients.has(p.pid) ? OTHER_CLIENTS : undefined) });
        this.owners.delete(p.pid);
        this.otherClients.delete(p.pid);
      }
      // Asked once per process, while it is alive: a gone one has no command line left.
      if ((!seen || !sameProcess(seen, p)) && p.pid > 0 && isPostgres(p.comm) && this.isClient(p.pid)) this.otherClients.add(p.pid);
      this.last.set(p.pid, p);
    }
  }

  /** PostgreSQL backend pid → owner label, as seen now (`backendOwners`); owners of gone backends are kept. */
  own(owners: ReadonlyMap<number, string>): void {
    for (const [pid, owner] of owners) this.owners.set(pid, owner);
  }

  /**
   * The window's end: `after` plus every process seen meanwhile that is gone by then, at its last reading, and
   * the owner of every backend seen. A process whose pid was reused is kept under a negative key (no real pid),
   * holding only its CPU inside the window, so that `cpuDelta` counts it from zero.
   */
  end(after: CpuSnapshot): WindowEnd {
    this.observe(after.procs.values());
    const procs = new Map(this.last);
    const gone = new Set([...this.last.keys()].filter((pid) => !after.procs.has(pid)));
    const backends = new Map(this.owners);
    // splitCpu labels an unowned postgres process by its command line now: a gone client backend would pass for a server helper.
    for (const pid of gone) if (this.otherClients.has(pid) && !backends.has(pid)) backends.set(pid, OTHER_CLIENTS);
    this.retired.forEach(({ proc, owner }, i) => {
      const b = this.before.procs.get(proc.pid);
      const start = b && sameProcess(b, proc) ? b : undefined;
      const key = -(i + 1);
      procs.set(key, {
        ...proc,
        pid: key,
        cpuS: proc.cpuS - (start?.cpuS ?? 0),
        sysS: proc.sysS - (start?.sysS ?? 0),
        runQueueWaitS: proc.runQueueWaitS - (start?.runQueueWaitS ?? 0),
      });
      if (owner !== undefined) backends.set(key, owner);
      gone.add(key);
    });
    return { after: { ...after, procs }, backends, gone };
  }
}

/**
 * Reads /proc and which PostgreSQL backends serve `clients` every `everyMs` (one pg_stat_activity query on the
 * bench's own connection), into a `ProcTally` per window. One sampler for every bench that splits CPU by process.
 * A reading of /proc costs the bench ~8 ms (130 processes); 500 ms apart loses little: a backend the pool's idle
 * timeout closes has been idle for 10 s, so only one closed after an error loses up to its last 500 ms.
 */
export class CpuSampler {
  private windowStart: CpuSnapshot;
  private tally: ProcTally;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Client,
    private readonly clients: () => readonly Proc[],
    private readonly pgPort: number,
  ) {
    this.windowStart = cpuSnapshot();
    this.tally = new ProcTally(this.windowStart);
  }

  /** The window starts now (taken when the sampler is made). */
  get start(): CpuSnapshot {
    return this.windowStart;
  }

  run(everyMs = 500): this {
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.sample()).catch(() => undefined);
    }, everyMs);
    this.timer.unref(); // a bench that fails midway must not be kept alive by its sampler
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Ends the current window now and starts the next one from its end. */
  async cut(): Promise<WindowEnd & { before: CpuSnapshot }> {
    await this.inFlight;
    const before = this.windowStart;
    const now = cpuSnapshot();
    this.tally.own(await backendOwners(this.db, [...this.clients()], this.pgPort));
    const end = this.tally.end(now);
    this.windowStart = end.after;
    this.tally = new ProcTally(end.after);
    return { before, ...end };
  }

  private async sample(): Promise<void> {
    const procs = allProcs();
    const owners = await backendOwners(this.db, [...this.clients()], this.pgPort);
    this.tally.observe(procs);
    this.tally.own(owners);
  }
}
