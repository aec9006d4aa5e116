import { cpuOf, splitCpu } from './cpu-groups';
import { ProcTally } from './cpu-sampler';
import { sameProcess, type CpuSnapshot, type ProcInfo } from './proc-stats';

// Pids far above any real one: cmdline() finds nothing, so an unowned postgres process counts as a server helper.
const proc = (pid: number, cpuS: number, startTicks = 1): ProcInfo => ({ pid, ppid: 1, comm: 'postgres', cpuS, sysS: cpuS / 10, runQueueWaitS: cpuS / 100, startTicks });
const snapshot = (at: number, busyS: number, procs: ProcInfo[]): CpuSnapshot => ({ at, procs: new Map(procs.map((p) => [p.pid, p])), machine: { busyS, totalS: busyS * 2 } });
const WORKERS = 'postgres (backends of workers)';

/** Runs a window through a tally: `readings` between the ends, `owners` learned after each reading. */
function windowCpu(before: CpuSnapshot, readings: Array<{ procs: ProcInfo[]; owners: Array<[number, string]> }>, after: CpuSnapshot) {
  const tally = new ProcTally(before);
  for (const r of readings) {
    tally.observe(r.procs);
    tally.own(new Map(r.owners));
  }
  const end = tally.end(after);
  return { ...splitCpu(before, end.after, [], [], end.backends), gone: end.gone };
}

describe('ProcTally', () => {
  it('counts backends that exited during the window at their last reading, and knows whom they served', () => {
    const before = snapshot(0, 100, [proc(910001, 2), proc(910002, 1)]);
    const split = windowCpu(
      before,
      [
        { procs: [proc(910001, 3), proc(910002, 1.5), proc(910003, 0.5)], owners: [[910001, 'worker-1'], [910002, 'worker-1'], [910003, 'worker-2']] },
        // 910002 gone (pool idle timeout); 910004 came and will be gone too
        { procs: [proc(910001, 4), proc(910003, 1), proc(910004, 0.75)], owners: [[910001, 'worker-1'], [910003, 'worker-2'], [910004, 'worker-2']] },
      ],
      // only 910001 is left at the end
      snapshot(10_000, 120, [proc(910001, 5)]),
    );
    // 910001: 5-2; 910002: 1.5-1 (gone); 910003: 1 (started and gone); 910004: 0.75 (started and gone)
    expect(cpuOf(split, (l) => l === WORKERS)).toBeCloseTo(3 + 0.5 + 1 + 0.75);
    expect(split.rows.find((r) => r.label === WORKERS)?.sysS).toBeCloseTo((3 + 0.5 + 1 + 0.75) / 10);
    expect(cpuOf(split, (l) => l.startsWith('postgres (server'))).toBe(0);
    expect([...split.gone].sort()).toEqual([910002, 910003, 910004]);
  });

  it('a plain end snapshot (no tally) loses them: what the tally fixes', () => {
    const before = snapshot(0, 100, [proc(910001, 2), proc(910002, 1)]);
    const split = splitCpu(before, snapshot(10_000, 120, [proc(910001, 5)]), [], [], new Map([[910001, 'worker-1']]));
    expect(cpuOf(split, (l) => l === WORKERS)).toBeCloseTo(3);
  });

  it('keeps a process whose pid was reused apart from the new one, each with its own owner and only its CPU in the window', () => {
    const before = snapshot(0, 100, [proc(910001, 2, 1)]);
    const split = windowCpu(
      before,
      [
        { procs: [proc(910001, 2.5, 1)], owners: [[910001, 'worker-1']] },
        // the worker's backend exited; its pid now belongs to another client's backend (started later)
        { procs: [proc(910001, 0.25, 500)], owners: [] },
      ],
      snapshot(10_000, 120, [proc(910001, 0.5, 500)]),
    );
    expect(cpuOf(split, (l) => l === WORKERS)).toBeCloseTo(0.5);
    expect(cpuOf(split, (l) => l.startsWith('postgres (server'))).toBeCloseTo(0.5); // the newcomer, unowned, from zero
  });

  it("puts another client's backend that exited among OTHER clients, not among the server's helpers", () => {
    const before = snapshot(0, 100, [proc(910001, 1), proc(910009, 0.5)]);
    const tally = new ProcTally(before, (pid) => pid === 910002); // 910002's command line says "(port)"
    tally.observe([proc(910001, 1), proc(910002, 2), proc(910009, 0.5)]);
    const end = tally.end(snapshot(10_000, 110, [proc(910009, 0.75)]));
    const split = splitCpu(before, end.after, [], [], end.backends);
    expect(cpuOf(split, (l) => l === 'postgres (backends of OTHER clients)')).toBeCloseTo(2);
    expect(cpuOf(split, (l) => l.startsWith('postgres (server'))).toBeCloseTo(0.25);
  });

  it('adds nothing for processes that did not change or were gone before the window', () => {
    const before = snapshot(0, 100, [proc(910001, 2), proc(910002, 1)]);
    const split = windowCpu(before, [{ procs: [proc(910001, 2)], owners: [[910001, 'worker-1']] }], snapshot(10_000, 101, [proc(910001, 2)]));
    expect(cpuOf(split, (l) => l.startsWith('postgres'))).toBe(0);
    expect(cpuOf(split, (l) => l === 'everything else on the machine')).toBeCloseTo(1);
  });
});

describe('sameProcess', () => {
  it('knows a process by its start time, not by its name (a kernel worker renames itself for every work item)', () => {
    const before = snapshot(0, 100, [{ ...proc(910101, 1.5), comm: 'kworker/1:0-events' }]);
    const renamed = { ...proc(910101, 1.75), comm: 'kworker/1:0-mm_percpu_wq' };
    const tally = new ProcTally(before);
    tally.observe([renamed]);
    const end = tally.end(snapshot(10_000, 120, [{ ...renamed, cpuS: 2 }]));
    // One process, 0.5 s of it in the window; renaming it retired no phantom holding its whole lifetime's CPU.
    expect([...end.after.procs.keys()]).toEqual([910101]);
    expect(end.gone.size).toBe(0);
    expect(sameProcess(before.procs.get(910101)!, renamed)).toBe(true);
    expect(sameProcess(renamed, { ...renamed, startTicks: 2 })).toBe(false);
  });
});
