/**
 * Token login. The token is checked by `POST /session`, which also sets the HttpOnly, SameSite=Strict session
 * cookie that opens /admin/queues (bull-board); the page sends the token itself as a bearer to the API and keeps
 * it in sessionStorage only (this tab, until it is closed or the operator signs out).
 */
const KEY = 'dropgate-admin-token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export async function signIn(token: string): Promise<void> {
  const res = await fetch('/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new Error(body.error?.message ?? `sign-in failed (HTTP ${res.status})`);
  }
  sessionStorage.setItem(KEY, token);
}

export async function signOut(): Promise<void> {
  sessionStorage.removeItem(KEY);
  await fetch('/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
}
