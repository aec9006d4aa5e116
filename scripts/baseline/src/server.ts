/**
 * THE AFTERNOON BUILD: a deliberately naive redemption endpoint, kept as the baseline of `npm run bench:drop`
 * (see ../README.md). Check-then-write against PostgreSQL, no queue, no filter, no rate limit. Not Dropgate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { Pool } from 'pg';

const schema = process.env.BASELINE_SCHEMA ?? '';
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('BASELINE_SCHEMA must be a lower-case SQL identifier');
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10, application_name: 'dropgate-baseline', options: `-c search_path=${schema}` });

const app = express();
app.use(express.json());

app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

app.post('/v1/redemptions', async (req, res) => {
  const { campaignId, customerId, code } = req.body as { campaignId: string; customerId: string; code: string };
  const found = await pool.query<{ state: string }>('SELECT state FROM bl_codes WHERE campaign_id = $1 AND code = $2', [campaignId, code]);
  if (!found.rows[0]) return void res.status(404).json({ error: { code: 'code_not_found' } });
  if (found.rows[0].state === 'redeemed') return void res.status(409).json({ error: { code: 'code_already_used' } });
  const mine = await pool.query<{ n: string }>('SELECT count(*) AS n FROM bl_redemptions WHERE campaign_id = $1 AND customer_id = $2', [campaignId, customerId]);
  if (Number(mine.rows[0]!.n) >= 1) return void res.status(409).json({ error: { code: 'customer_limit_reached' } });
  await pool.query(`UPDATE bl_codes SET state = 'redeemed', customer_id = $3, redeemed_at = now() WHERE campaign_id = $1 AND code = $2`, [campaignId, code, customerId]);
  await pool.query('INSERT INTO bl_redemptions (campaign_id, code, customer_id) VALUES ($1, $2, $3)', [campaignId, code, customerId]);
  res.status(200).json({ status: 'done', outcome: 'redeemed', code });
});

async function main(): Promise<void> {
  await pool.query(readFileSync(path.join(__dirname, '..', 'schema.sql'), 'utf8').replaceAll(':schema', schema));
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => server.close(() => void pool.end().finally(() => process.exit(0))));
}

main().catch((err: unknown) => {
  process.stderr.write(`baseline failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
