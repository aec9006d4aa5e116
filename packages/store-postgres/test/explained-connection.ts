import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';

export interface ExplainedConnection {
  /** One connection on the schema (search_path), for the statements whose plans are read. */
  readonly db: Client;
  /**
   * Runs `run` (its statements on `db`) with auto_explain on for this connection only, and returns every plan
   * PostgreSQL chose meanwhile, nested statements too (a PL/pgSQL function's), as the notices it sent. auto_explain
   * stays on for the rest of the connection's life.
   */
  plansOf(run: () => Promise<void>): Promise<string[]>;
  close(): Promise<void>;
}

/** A connection to `schema` whose plans can be read: how the plan tests see what the batch functions do. */
export async function explainedConnection(schema: string): Promise<ExplainedConnection> {
  const db = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
  await db.connect();
  return {
    db,
    async plansOf(run) {
      const plans: string[] = [];
      const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
      db.on('notice', onNotice);
      try {
        await db.query("LOAD 'auto_explain'");
        await db.query('SET auto_explain.log_min_duration = 0');
        await db.query('SET auto_explain.log_nested_statements = on');
        await db.query('SET auto_explain.log_level = notice');
        await db.query('SET client_min_messages = notice');
        await run();
      } finally {
        db.off('notice', onNotice);
      }
      return plans;
    },
    close: () => db.end(),
  };
}
