import type { FaultStep } from '@dropgate/store';
import { HookFaults, type FaultControl, type Stall } from '@dropgate/store/testing';
import { waitFor } from '@dropgate/testkit';
import type { Client } from 'pg';

/** The steps PostgreSQL takes in Node (after a function call returns, or inside publish's Node transaction). */
const NODE_STEPS = new Set<FaultStep>(['redeem.commit', 'claim.commit', 'batch.commit', 'rollback.commit', 'publish.record', 'publish.codes', 'publish.commit']);

/** `-- @fault(<step expression>, <key expression>)` on a line of its own inside a function body. */
const MARKER = /^(\s*)--\s*@fault\((.+)\)\s*$/gm;

/**
 * Turns the fault points of the dg_* functions of ONE schema (comments in production, see
 * migrations/010_fault_points.sql) into calls of dg_fault, a function that exists only in that schema, driven by
 * the plans in dg_fault_plans:
 *   fail  → RAISE (the function's transaction is abandoned, as if the process died there);
 *   stall → wait on an advisory lock the test holds; on release, go on or fail.
 * Run after every migration (it rewrites the functions as they are now). `client` must have search_path = schema.
 */
export async function installFaultPoints(client: Client): Promise<number> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS dg_fault_plans (
      id serial PRIMARY KEY,
      step text NOT NULL,
      key text NOT NULL,
      action text NOT NULL CHECK (action IN ('fail', 'stall')),
      only_pid integer
    )`);
  // lock_timeout 0: a stall inside dg_attempt_many (lock_timeout 50 ms) must wait for the test, not time out.
  await client.query(`
    CREATE OR REPLACE FUNCTION dg_fault(p_step text, p_key text) RETURNS void
    SET lock_timeout = 0
    LANGUAGE plpgsql AS $$
    DECLARE
      p dg_fault_plans;
    BEGIN
      SELECT * INTO p FROM dg_fault_plans
      WHERE step = p_step AND key = p_key AND (only_pid IS NULL OR only_pid = pg_backend_pid())
      ORDER BY id LIMIT 1;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      IF p.action = 'stall' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext(current_schema()) & 2147483647, p.id);
        -- Released: the test has turned the plan into a failure for this very backend, or deleted it.
        SELECT * INTO p FROM dg_fault_plans WHERE id = p.id AND only_pid = pg_backend_pid() AND action = 'fail';
        IF NOT FOUND THEN
          RETURN;
        END IF;
      END IF;
      RAISE EXCEPTION 'dropgate injected fault at % (%)', p_step, p_key;
    END
    $$`);
  const { rows } = await client.query<{ definition: string }>(
    `SELECT pg_get_functiondef(p.oid) AS definition FROM pg_proc AS p
     WHERE p.pronamespace = current_schema()::regnamespace AND p.prosrc LIKE '%@fault(%'`,
  );
  for (const { definition } of rows) await client.query(definition.replace(MARKER, '$1PERFORM dg_fault($2);'));
  return rows.length;
}

/**
 * FaultControl for a PostgreSQL harness: steps inside the dg_* functions through dg_fault_plans (the stalls wait on
 * advisory locks held by `admin`, a connection of the test's own), the Node-side steps through the stores' hook.
 */
export class PgFaults implements FaultControl {
  private readonly node = new HookFaults();
  private readonly stalls = new Map<number, { released: boolean }>();
  readonly hook = this.node.hook;

  /** `admin`: a dedicated connection with search_path = the schema; `applicationName`: what the stores' connections are called. */
  constructor(
    private readonly admin: Client,
    private readonly applicationName: string,
  ) {}

  async fail(step: FaultStep, key: string): Promise<void> {
    if (NODE_STEPS.has(step)) return this.node.fail(step, key);
    await this.admin.query(`INSERT INTO dg_fault_plans (step, key, action) VALUES ($1, $2, 'fail')`, [step, key]);
  }

  async stall(step: FaultStep, key: string): Promise<Stall> {
    if (NODE_STEPS.has(step)) return this.node.stall(step, key);
    const { rows } = await this.admin.query<{ id: number; ns: number }>(
      `INSERT INTO dg_fault_plans (step, key, action) VALUES ($1, $2, 'stall')
       RETURNING id, hashtext(current_schema()) & 2147483647 AS ns`,
      [step, key],
    );
    const { id, ns } = rows[0]!;
    await this.admin.query('SELECT pg_advisory_lock($1, $2)', [ns, id]);
    const state = { released: false };
    this.stalls.set(id, state);
    // The stalled backend: the one waiting for our advisory lock.
    const waiter = waitFor(
      `a function to stall at ${step} (${key})`,
      async () => {
        const found = await this.admin.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2`,
          [ns, id],
        );
        return found.rows[0]?.pid;
      },
      20_000,
      10,
    );
    waiter.catch(() => undefined); // surfaced through `reached`
    return {
      reached: waiter.then(() => undefined),
      release: async (then) => {
        if (state.released) return;
        state.released = true;
        if (then === 'fail') await this.admin.query(`UPDATE dg_fault_plans SET action = 'fail', only_pid = $2 WHERE id = $1`, [id, await waiter]);
        else await this.admin.query('DELETE FROM dg_fault_plans WHERE id = $1', [id]);
        await this.admin.query('SELECT pg_advisory_unlock($1, $2)', [ns, id]);
      },
    };
  }

  async waitingOnOthers(signal?: AbortSignal): Promise<void> {
    await waitFor(
      'a store connection waiting on a row lock',
      async () => {
        const { rows } = await this.admin.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple') LIMIT 1`,
          [this.applicationName],
        );
        return rows.length > 0 ? true : undefined;
      },
      10_000,
      10,
      signal,
    );
  }

  async clear(): Promise<void> {
    await this.admin.query('DELETE FROM dg_fault_plans');
    await this.admin.query('SELECT pg_advisory_unlock_all()');
    this.stalls.clear();
    await this.node.clear();
  }
}
