import { AdminApiError, AdminClient, type CampaignView } from '@dropgate/admin-client';
import { CampaignList } from './campaign-list';
import { CampaignPanel } from './campaign-panel';
import { createCampaignForm } from './create-campaign-form';
import { describeError, fields, h, replace } from './dom';
import { savedToken, signIn, signOut } from './session';

/** Live figures refresh this often while a campaign is shown. */
const REFRESH_MS = 3000;

function loginView(error = ''): void {
  const status = h('div', { class: 'error', role: 'alert', text: error });
  const submit = h('button', { type: 'submit', text: 'Sign in' });
  const form = h(
    'form',
    { 'aria-label': 'Sign in' },
    h('div', { class: 'row' }, h('label', {}, 'Admin token', h('input', { name: 'token', type: 'password', autocomplete: 'current-password', required: true, size: 40 }))),
    h('div', { class: 'row' }, submit),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    signIn(fields(form).token ?? '').then(
      () => dashboard(savedToken()!),
      (err: unknown) => {
        submit.disabled = false;
        status.textContent = describeError(err);
      },
    );
  });
  replace(document.body, h('main', {}, h('section', { class: 'login' }, h('h2', { text: 'Dropgate admin' }), form)));
}

function dashboard(token: string): void {
  const client = new AdminClient({ baseUrl: '', token });
  let campaigns: CampaignView[] = [];
  let selected: string | undefined;
  const error = h('div', { class: 'error', role: 'alert' });
  const panel = new CampaignPanel(client, token, () => void reload());
  const list = new CampaignList((id) => void select(id));

  async function reload(): Promise<void> {
    campaigns = await client.listCampaigns();
    list.render(campaigns, selected);
  }
  async function select(id: string): Promise<void> {
    selected = id;
    list.render(campaigns, selected);
    const campaign = campaigns.find((c) => c.id === id);
    if (campaign) {
      await panel.show(campaign);
      panel.syncTiers();
    }
  }
  const guard = (p: Promise<void>) =>
    p.then(
      () => (error.textContent = ''),
      (err: unknown) => {
        if (err instanceof AdminApiError && err.status === 401) return void signOut().then(() => loginView('Your token is no longer accepted: sign in again.'));
        error.textContent = describeError(err);
      },
    );

  const logout = h('button', { type: 'button', class: 'secondary', text: 'Sign out' });
  logout.addEventListener('click', () => void signOut().then(() => loginView()));
  replace(
    document.body,
    h('header', {}, h('h1', { text: 'Dropgate admin' }), h('a', { href: '/admin/queues/', text: 'Queues' }), h('a', { href: '/openapi.json', text: 'OpenAPI' }), logout),
    h(
      'main',
      {},
      error,
      h(
        'div',
        { class: 'grid' },
        h('div', {}, list.element, createCampaignForm(client, (c) => void guard(reload().then(() => select(c.id))))),
        panel.element,
      ),
    ),
  );
  void guard(reload());
  setInterval(() => void guard(reload().then(() => panel.refresh())), REFRESH_MS);
}

const token = savedToken();
if (token) dashboard(token);
else loginView();
