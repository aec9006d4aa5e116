import { cpuOf, splitCpu } from './cpu-groups';
import type { CpuSnapshot, ProcInfo } from './proc-stats';

// Pids far above any real one: cmdline() finds nothing, so an unowned postgres process counts as a server helper.
const proc = (pid: number, comm: string, cpuS: number): ProcInfo => ({ pid, ppid: 1, comm, cpuS, sysS: cpuS / 10, runQueueWaitS: 0 });
const snapshot = (at: number, busyS: number, procs: ProcInfo[]): CpuSnapshot => ({ at, procs: new Map(procs.map((p) => [p.pid, p])), machine: { busyS, totalS: busyS * 2 } });

describe('splitCpu', () => {
  const before = snapshot(0, 100, [proc(900001, 'node', 1), proc(900002, 'node', 1), proc(900003, 'node', 0), proc(900010, 'redis-server', 5), proc(900020, 'postgres', 2), proc(900021, 'postgres', 2), proc(900022, 'postgres', 1)]);
  const after = snapshot(10_000, 110, [
    proc(900001, 'node', 2), // intake primary: +1
    proc(900002, 'node', 3), // intake worker: +2
    proc(900003, 'node', 1.5), // worker-1: +1.5
    proc(900010, 'redis-server', 6), // +1
    proc(900020, 'postgres', 3), // backend of worker-1: +1
    proc(900021, 'postgres', 2.5), // backend of the intake: +0.5
    proc(900022, 'postgres', 1.25), // server helper: +0.25
    proc(900023, 'postgres', 0.25), // a backend of worker-1 that started in the window: all of it
  ]);
  const backends = new Map([
    [900020, 'worker-1'],
    [900021, 'intake'],
    [900023, 'worker-1'],
  ]);
  const split = splitCpu(before, after, [{ label: 'intake', pids: [900001, 900002] }, { label: 'worker-1', pids: [900003] }], [900010], backends);
  const cpu = (label: string): number => cpuOf(split, (l) => l === label);

  it('sums the processes of a group (an intake cluster is one row)', () => {
    expect(cpu('intake')).toBeCloseTo(3);
    expect(cpu('worker-1')).toBeCloseTo(1.5);
    expect(cpu('redis-server')).toBeCloseTo(1);
  });

  it('groups PostgreSQL processes by whom they serve, every worker together', () => {
    expect(cpu('postgres (backends of workers)')).toBeCloseTo(1.25);
    expect(cpu('postgres (backends of intake)')).toBeCloseTo(0.5);
    expect(cpu('postgres (server: WAL writer, checkpointer, ...)')).toBeCloseTo(0.25);
  });

  it('puts the rest of the machine in a residual row, over the window', () => {
    expect(split.wallS).toBe(10);
    expect(split.machineBusyS).toBe(10);
    expect(cpu('everything else on the machine')).toBeCloseTo(10 - 3 - 1.5 - 1 - 1.25 - 0.5 - 0.25);
  });
});
