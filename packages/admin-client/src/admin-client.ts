import type { CampaignStatus } from '@dropgate/core';
import { AdminApiError, AdminJobCancelledError, AdminJobFailedError, AdminUnreachableError } from './admin-api-error';
import type {
  AuditPageView,
  CampaignPatch,
  AuditQuery,
  CampaignView,
  CodesQuery,
  CodeView,
  CreatedCampaignView,
  DisableRequest,
  DisableView,
  ImportAccepted,
  JobAccepted,
  JobView,
  LockGroupView,
  LockRequest,
  LockView,
  NewCampaignRequest,
  PublicationRequest,
  PublicationView,
  ReleaseRequest,
  ReleaseView,
  RollbackRequest,
  RollbackView,
  StatsView,
} from './views';

export interface AdminClientOptions {
  /** e.g. `http://127.0.0.1:3001`; '' in the browser (same origin). */
  baseUrl: string;
  /** The admin bearer token; omitted, the request carries none (the page's session cookie may stand in). */
  token?: string | undefined;
  /** Defaults to the global fetch (Node >= 20 and browsers). */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  body?: unknown;
  /** A body sent as is (CSV, JSON lines, a stream) with this content type. */
  raw?: { body: string | Blob | ReadableStream<Uint8Array>; contentType: string };
  query?: Query;
  headers?: Record<string, string>;
}

const PREFIX = '/admin/v1';
const enc = encodeURIComponent;

function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * The admin API over fetch, one method per endpoint. Errors: `AdminApiError` (the API answered 4xx/5xx, with its
 * stable code), `AdminUnreachableError` (no answer), `AdminJobFailedError` (a waited-for job failed).
 */
export class AdminClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AdminClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** The raw response of an admin request, after checking its status (streams stay unread). */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.options.baseUrl.replace(/\/$/, '') + withQuery(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: string | Blob | ReadableStream<Uint8Array> | undefined;
    if (opts.raw) {
      body = opts.raw.body;
      headers['content-type'] = opts.raw.contentType;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    // A streamed request body needs half duplex in Node's fetch (browsers send streams only over HTTP/2 anyway).
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, credentials: 'same-origin' };
    if (typeof body === 'object' && body !== null && 'getReader' in body) init.duplex = 'half';
    let res: Response;
    try {
      res = await this.fetchImpl(url, init);
    } catch (err) {
      throw new AdminUnreachableError(this.options.baseUrl || url, err);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  listCampaigns(): Promise<CampaignView[]> {
    return this.json('GET', `${PREFIX}/campaigns`);
  }

  getCampaign(id: string): Promise<CampaignView> {
    return this.json('GET', `${PREFIX}/campaigns/${enc(id)}`);
  }

  /**
   * Creates a campaign. With `async`, the API answers at once (`Prefer: respond-async`) and the codes are generated
   * by the job `jobId` (follow it with `waitForJob`); without, it waits a little for them.
   */
  createCampaign(body: NewCampaignRequest, options: { async?: boolean } = {}): Promise<CreatedCampaignView> {
    return this.json('POST', `${PREFIX}/campaigns`, { body, headers: options.async ? { prefer: 'respond-async' } : {} });
  }

  /** Changes the given fields of a campaign (PATCH: the others stay). */
  updateCampaign(id: string, patch: CampaignPatch): Promise<CampaignView> {
    return this.json('PATCH', `${PREFIX}/campaigns/${enc(id)}`, { body: patch });
  }

  setStatus(id: string, status: CampaignStatus): Promise<CampaignView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/status`, { body: { status } });
  }

  pause(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'paused');
  }

  resume(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'active');
  }

  stop(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'stopped');
  }

  end(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'ended');
  }

  stats(id: string): Promise<StatsView> {
    return this.json('GET', `${PREFIX}/campaigns/${enc(id)}/stats`);
  }

  listCodes(id: string, query: Omit<CodesQuery, 'format'> = {}): Promise<CodeView[]> {
    return this.json('GET', `${PREFIX}/campaigns/${enc(id)}/codes`, { query: { ...query, format: 'json' } });
  }

  /** The codes export as a streamed response (CSV or a JSON array): pipe its body, don't buffer millions. */
  exportCodes(id: string, query: CodesQuery = {}): Promise<Response> {
    return this.send('GET', `${PREFIX}/campaigns/${enc(id)}/codes`, { query: { ...query }, headers: { accept: query.format === 'csv' ? 'text/csv' : 'application/json' } });
  }

  generateCodes(id: string, body: { tier: string; count: number }): Promise<JobAccepted> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/codes/generate`, { body });
  }

  /** Uploads codes for the import job (202): follow the job (`waitForJob`); its result is an `ImportReportView`. */
  importCodes(id: string, body: string | Blob | ReadableStream<Uint8Array>, contentType: string, query: Query = {}): Promise<ImportAccepted> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/codes/import`, { raw: { body, contentType }, query });
  }

  job(jobId: string): Promise<JobView> {
    return this.json('GET', `${PREFIX}/jobs/${enc(jobId)}`);
  }

  /** Asks a generation or import job to stop at its next batch boundary (202); it then ends `cancelled`. */
  cancelJob(jobId: string): Promise<JobView> {
    return this.json('POST', `${PREFIX}/jobs/${enc(jobId)}/cancel`, { body: {} });
  }

  /**
   * Polls a job until it completes (resolves), fails (`AdminJobFailedError`) or is cancelled (`AdminJobCancelledError`),
   * reporting each poll.
   */
  async waitForJob(jobId: string, onProgress: (job: JobView) => void = () => undefined, intervalMs = 250): Promise<JobView> {
    for (;;) {
      const job = await this.job(jobId);
      onProgress(job);
      if (job.state === 'completed') return job;
      if (job.state === 'failed') throw new AdminJobFailedError(jobId, job);
      if (job.state === 'cancelled') throw new AdminJobCancelledError(jobId, job);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  publish(id: string, body: PublicationRequest, idempotencyKey?: string): Promise<PublicationView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/publications`, { body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
  }

  listPublications(id: string): Promise<PublicationView[]> {
    return this.json('GET', `${PREFIX}/campaigns/${enc(id)}/publications`);
  }

  lock(id: string, body: LockRequest): Promise<LockView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/locks`, { body });
  }

  /** The codes locked now, by tier, release time and reason. */
  locks(id: string): Promise<LockGroupView[]> {
    return this.json('GET', `${PREFIX}/campaigns/${enc(id)}/locks`);
  }

  release(id: string, body: ReleaseRequest = {}): Promise<ReleaseView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/locks/release`, { body });
  }

  /** Takes listed codes out of circulation for good (available, locked or published ones). */
  disable(id: string, body: DisableRequest): Promise<DisableView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/codes/disable`, { body });
  }

  rollback(id: string, code: string, body: RollbackRequest): Promise<RollbackView> {
    return this.json('POST', `${PREFIX}/campaigns/${enc(id)}/codes/${enc(code)}/rollback`, { body });
  }

  audit(query: AuditQuery = {}): Promise<AuditPageView> {
    return this.json('GET', `${PREFIX}/audit`, { query: { ...query } });
  }
}

async function toApiError(res: Response): Promise<AdminApiError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (parsed.error && typeof parsed.error.code === 'string') {
      return new AdminApiError(res.status, parsed.error.code, typeof parsed.error.message === 'string' ? parsed.error.message : parsed.error.code, parsed.error.details);
    }
  } catch {
    // not JSON: a proxy's page or similar
  }
  return new AdminApiError(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText);
}
