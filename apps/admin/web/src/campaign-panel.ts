import type { AdminClient, AuditEntryView, CampaignView, ImportReportView, LockGroupView, StatsView } from '@dropgate/admin-client';
import { CODE_STATES } from '@dropgate/core';
import { statusBadge } from './campaign-list';
import { busy, fields, h, replace } from './dom';
import { JobFollower } from './job-follower';
import { RateChart } from './rate-chart';
import { importWithProgress } from './upload';

/** What an audit entry says beyond its columns: the request body of an admin action (or an import's counts). */
function auditDetails(e: AuditEntryView): string {
  const { path: _path, status: _status, body, ...rest } = e.details ?? {};
  const shown = body !== undefined && Object.keys(rest).length === 0 ? body : { ...rest, ...(body === undefined ? {} : { body }) };
  return shown && typeof shown === 'object' && Object.keys(shown).length === 0 ? '' : JSON.stringify(shown);
}

/** One campaign: lifecycle buttons, live counts and rate, code operations, its audit trail. */
export class CampaignPanel {
  readonly element: HTMLElement;
  private readonly title = h('h2');
  private readonly counts = h('div');
  private readonly rate = h('div', { class: 'muted', role: 'status', 'aria-label': 'Rate' });
  private readonly wrongCodes = h('div', { class: 'muted', role: 'status', 'aria-label': 'Wrong codes' });
  private readonly chartBox = h('div', { class: 'chart' });
  private readonly lifecycleStatus = h('div', { class: 'notice', role: 'status' });
  private readonly audit = h('div');
  private readonly locks = h('div');
  private chart: RateChart | undefined;
  private campaign: CampaignView | undefined;

  constructor(
    private readonly client: AdminClient,
    /** The signed-in token, for the import's upload (XMLHttpRequest, which reports upload progress). */
    private readonly token: string,
    private readonly onChanged: () => void,
  ) {
    const move = (label: string, cls: string, to: (id: string) => Promise<CampaignView>) => {
      const button = h('button', { type: 'button', class: cls, text: label });
      button.addEventListener('click', () => {
        const id = this.campaign?.id;
        if (!id) return;
        void busy(button, this.lifecycleStatus, async () => {
          const c = await to(id);
          this.onChanged();
          await this.refresh();
          return `${c.name}: ${c.status}`;
        });
      });
      return button;
    };
    this.element = h(
      'div',
      { class: 'hidden' },
      h(
        'section',
        { 'aria-label': 'Campaign' },
        this.title,
        h(
          'div',
          { class: 'row' },
          move('Pause', 'secondary', (id) => client.pause(id)),
          move('Resume', 'secondary', (id) => client.resume(id)),
          move('Stop', 'danger', (id) => client.stop(id)),
        ),
        this.lifecycleStatus,
        h('h2', { text: 'Codes by tier and state' }),
        this.counts,
        this.wrongCodes,
        h('h2', { text: 'Redemptions per minute' }),
        this.rate,
        this.chartBox,
      ),
      this.generateSection(),
      this.importSection(),
      this.publishSection(),
      this.lockSection(),
      this.disableSection(),
      this.downloadSection(),
      h('section', { 'aria-label': 'Audit trail' }, h('h2', { text: 'Audit trail' }), this.audit),
    );
  }

  async show(campaign: CampaignView): Promise<void> {
    if (this.campaign?.id !== campaign.id) {
      this.chart?.destroy();
      this.chartBox.replaceChildren();
      this.element.classList.remove('hidden');
      this.chart = new RateChart(this.chartBox);
    }
    this.campaign = campaign;
    await this.refresh();
  }

  /** Re-reads the campaign, its counts and its audit trail (called every few seconds while shown). */
  async refresh(): Promise<void> {
    const c = this.campaign;
    if (!c) return;
    const [campaign, stats] = await Promise.all([this.client.getCampaign(c.id), this.client.stats(c.id)]);
    this.campaign = campaign;
    replace(this.title, `${campaign.name} `, statusBadge(campaign.status), campaign.stopReason ? h('span', { class: 'muted', text: ` (${campaign.stopReason})` }) : null);
    this.renderCounts(stats);
    this.wrongCodes.textContent = `Wrong codes sent: ${stats.wrongCodes ?? 'unknown (not readable now)'} (refused by the code filter or not found by a worker; counted against the guess budgets)`;
    const perMinute = this.chart?.add(stats.redemptions);
    this.rate.textContent = `${stats.redemptions} redeemed${stats.target === null ? '' : ` of target ${stats.target}`}${perMinute === undefined ? '' : ` · ${perMinute.toFixed(1)} / min now`}`;
    this.renderLocks(await this.client.locks(campaign.id));
    await this.refreshAudit(campaign.id);
  }

  /** The codes locked now: tier, how many, when they come back by themselves, why. */
  private renderLocks(groups: LockGroupView[]): void {
    if (groups.length === 0) {
      replace(this.locks, h('p', { class: 'muted', text: 'No code is locked.' }));
      return;
    }
    replace(
      this.locks,
      h(
        'table',
        { 'aria-label': 'Locks' },
        h('thead', {}, h('tr', {}, ...['Tier', 'Codes', 'Released at', 'Reason'].map((t) => h('th', { text: t })))),
        h(
          'tbody',
          {},
          ...groups.map((g) =>
            h('tr', { 'data-tier': g.tier }, h('td', { text: g.tier }), h('td', { class: 'num', text: g.count }), h('td', { text: g.releaseAt ? new Date(g.releaseAt).toLocaleString() : 'by hand' }), h('td', { class: 'free-text', text: g.reason ?? '' })),
          ),
        ),
      ),
    );
  }

  private renderCounts(stats: StatsView): void {
    const tiers = Object.entries(stats.codes);
    replace(
      this.counts,
      h(
        'table',
        { 'aria-label': 'Codes by tier and state' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Tier' }), ...CODE_STATES.map((s) => h('th', { class: 'num', text: s })))),
        h('tbody', {}, ...tiers.map(([tier, counts]) => h('tr', { 'data-tier': tier }, h('td', { text: tier }), ...CODE_STATES.map((s) => h('td', { class: 'num', 'data-state': s, text: counts[s] ?? 0 }))))),
      ),
    );
  }

  private async refreshAudit(campaignId: string): Promise<void> {
    const page = await this.client.audit({ campaignId, limit: 20 });
    const rows = page.entries.map((e) =>
      h(
        'tr',
        { 'data-kind': e.kind },
        h('td', { text: new Date(e.at).toLocaleTimeString() }),
        h('td', { text: e.kind === 'admin' ? (e.actor ?? '') : 'redemption' }),
        h('td', { text: e.action }),
        h('td', { text: e.customerId ?? '' }),
        h('td', { text: e.code ?? '' }),
        h('td', { class: 'muted free-text', text: auditDetails(e) }),
      ),
    );
    replace(
      this.audit,
      h(
        'table',
        { 'aria-label': 'Audit trail' },
        h('thead', {}, h('tr', {}, ...['When', 'Who', 'What', 'Customer', 'Code', 'Details'].map((t) => h('th', { text: t })))),
        h('tbody', {}, ...rows),
      ),
    );
  }

  private tierSelect(): HTMLSelectElement {
    const select = h('select', { name: 'tier', required: true });
    const fill = () => replace(select, ...(this.campaign?.tiers ?? []).map((t) => h('option', { value: t.name, text: `${t.name} (${t.reward})` })));
    select.addEventListener('focus', fill);
    this.tierSelects.push(fill);
    return select;
  }

  private readonly tierSelects: Array<() => void> = [];

  /** Keeps every tier picker in step with the campaign shown. */
  syncTiers(): void {
    for (const fill of this.tierSelects) fill();
  }

  private generateSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const progress = new JobFollower(this.client, 'Generation');
    const submit = h('button', { type: 'submit', text: 'Generate' });
    const form = h('form', { 'aria-label': 'Generate codes' }, h('div', { class: 'row' }, h('label', {}, 'Tier', this.tierSelect()), h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, required: true })), submit), progress.element, status);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const { jobId } = await this.client.generateCodes(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count) });
        const { job, cancelled } = await progress.follow(jobId, 'codes');
        await this.refresh();
        const inserted = job.result?.inserted;
        return cancelled ? `cancelled: ${typeof inserted === 'number' ? inserted : 0} codes written before it stopped` : `generated ${job.done} codes`;
      });
    });
    return h('section', {}, h('h2', { text: 'Generate codes' }), form);
  }

  private importSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const progress = new JobFollower(this.client, 'Import');
    const submit = h('button', { type: 'submit', text: 'Import' });
    const file = h('input', { name: 'file', type: 'file', accept: '.csv,.jsonl,.ndjson,text/csv', required: true });
    const form = h('form', { 'aria-label': 'Import codes' }, h('div', { class: 'row' }, h('label', {}, 'CSV or JSON lines', file), submit), progress.element, status);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      void busy(submit, status, async () => {
        const jsonl = /\.(jsonl|ndjson)$/i.test(chosen.name);
        // Two phases on one bar: the upload (bytes sent), then the import job (lines read and written).
        const accepted = await importWithProgress(this.campaign!.id, chosen, jsonl ? 'application/x-ndjson' : 'text/csv', this.token, (sent, total) =>
          progress.show({ state: 'uploading', done: sent, total }, 'bytes'),
        );
        const { job, cancelled } = await progress.follow(accepted.jobId, 'lines');
        const report = job.result as unknown as ImportReportView;
        await this.refresh();
        const problems = [...report.firstDuplicates.map((d) => `line ${d.line}: duplicate ${d.code}`), ...report.firstMalformed.map((m) => `line ${m.line}: ${m.problem}`)];
        return `${cancelled ? 'cancelled: ' : ''}imported ${report.inserted} of ${report.lines} lines: ${report.duplicates} duplicates, ${report.malformed} malformed${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`;
      });
    });
    return h('section', {}, h('h2', { text: 'Import codes' }), form);
  }

  private publishSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const out = h('div', { class: 'codes hidden', role: 'region', 'aria-label': 'Published codes' });
    const submit = h('button', { type: 'submit', text: 'Publish' });
    const download = h('button', { type: 'button', class: 'secondary hidden', text: 'Download these codes' });
    let last: { publicationId: string; codes: string[] } | undefined;
    download.addEventListener('click', () => {
      if (last) saveFile(`${last.publicationId}.txt`, new Blob([last.codes.join('\n') + '\n'], { type: 'text/plain' }));
    });
    const form = h(
      'form',
      { 'aria-label': 'Publish codes' },
      h('div', { class: 'row' }, h('label', {}, 'Tier', this.tierSelect()), h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, value: 10, required: true })), h('label', {}, 'Channel', h('input', { name: 'channel', placeholder: 'instagram' })), submit),
      status,
      out,
      h('div', { class: 'row' }, download),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const publication = await this.client.publish(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count), ...(f.channel ? { channel: f.channel } : {}) });
        last = publication;
        out.textContent = publication.codes.join('\n');
        out.classList.remove('hidden');
        download.classList.remove('hidden');
        await this.refresh();
        return `publication ${publication.publicationId}: ${publication.codes.length} codes`;
      });
    });
    return h('section', {}, h('h2', { text: 'Publish codes' }), form);
  }

  private lockSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const submit = h('button', { type: 'submit', text: 'Lock' });
    const release = h('button', { type: 'button', class: 'secondary', text: 'Release all now' });
    const form = h(
      'form',
      { 'aria-label': 'Lock codes' },
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Tier', this.tierSelect()),
        h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, required: true })),
        h('label', {}, 'Release in (minutes)', h('input', { name: 'releaseIn', type: 'number', min: 1, placeholder: 'never' })),
        h('label', {}, 'Reason', h('input', { name: 'reason', placeholder: 'held for the show' })),
        submit,
        release,
      ),
      status,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const releaseAt = f.releaseIn ? new Date(Date.now() + Number(f.releaseIn) * 60_000).toISOString() : undefined;
        const lock = await this.client.lock(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count), ...(releaseAt ? { releaseAt } : {}), ...(f.reason ? { reason: f.reason } : {}) });
        await this.refresh();
        return `locked ${lock.locked} ${f.tier} codes${lock.releaseAt ? `, released by themselves at ${new Date(lock.releaseAt).toLocaleString()}` : ''}${lock.reason ? ` (${lock.reason})` : ''}`;
      });
    });
    release.addEventListener('click', () => {
      void busy(release, status, async () => {
        const { released } = await this.client.release(this.campaign!.id);
        await this.refresh();
        return `released ${released} codes`;
      });
    });
    return h('section', {}, h('h2', { text: 'Lock and release' }), form, this.locks);
  }

  /** Leaked codes out of circulation for good (the API's disable, as the CLI's `disable`). */
  private disableSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const submit = h('button', { type: 'submit', class: 'danger', text: 'Disable for good' });
    const form = h(
      'form',
      { 'aria-label': 'Disable codes' },
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Codes (one a line)', h('textarea', { name: 'codes', required: true, placeholder: 'SKATE-29KS-KFSJ' })),
        h('label', {}, 'Reason', h('input', { name: 'reason', placeholder: 'leaked on a forum', maxlength: 200 })),
        submit,
      ),
      h('p', { class: 'muted', text: 'Available, locked or published codes stop working at once (a redemption answers code_disabled); a disabled code never comes back.' }),
      status,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        // One a line: a code's own alphabet may hold a comma.
        const codes = (f.codes ?? '').split(/\r?\n/).map((c) => c.trim()).filter((c) => c !== '');
        const result = await this.client.disable(this.campaign!.id, { codes, ...(f.reason ? { reason: f.reason } : {}) });
        form.reset();
        await this.refresh();
        return `disabled ${result.disabled} codes${result.notFound.length > 0 ? `; not found (${result.notFound.length}): ${result.notFound.join(', ')}` : ''}`;
      });
    });
    return h('section', {}, h('h2', { text: 'Disable leaked codes' }), form);
  }

  private downloadSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const button = h('button', { type: 'button', class: 'secondary', text: 'Download codes (CSV)' });
    button.addEventListener('click', () => {
      void busy(button, status, async () => {
        const id = this.campaign!.id;
        const res = await this.client.exportCodes(id, { format: 'csv' });
        saveFile(`${id}-codes.csv`, await res.blob());
      });
    });
    return h('section', {}, h('h2', { text: 'Download' }), h('div', { class: 'row' }, button), status);
  }
}

/** Hands a blob to the browser as a download. */
function saveFile(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
