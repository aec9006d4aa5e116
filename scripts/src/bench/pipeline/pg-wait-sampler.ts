import { Client } from 'pg';
import { clientPortsTo } from '../proc-stats';
import { formatTable, round } from '../table';
import type { Proc } from './system-procs';

export class WaitSampler {
  readonly tally = new Map<string, number>();
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: Client,
    private readonly workers: Proc[],
    private readonly pgPort: number,
  ) {}

  start(everyMs = 500): void {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const ports = this.workers.flatMap((w) => clientPortsTo(w.pid, this.pgPort));
      const { rows } = await this.db.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
        'SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
        [ports],
      );
      this.samples++;
      for (const r of rows) {
        const key =
          r.state === 'active' ? `active, ${r.wait_event_type ? `waiting on ${r.wait_event_type}:${r.wait_event}` : 'running (no wait event)'}` : (r.state ?? 'unknown');
        this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
      }
    } catch {
      // a sample lost is fine
    } finally {
      this.busy = false;
    }
  }

  table(): string {
    if (this.samples === 0) return '(no samples)';
    const rows = [...this.tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / this.samples, 1)]);
    return formatTable(['workers\' PostgreSQL backends', 'avg count'], rows);
  }
}
