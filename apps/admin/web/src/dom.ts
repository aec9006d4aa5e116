import { errorMessage } from '@dropgate/core';

/** A tiny element builder: properties and listeners set from script (no inline handlers: the page runs under a strict CSP). */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A form's fields by name, as strings. */
export function fields(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string') out[k] = v.trim();
  return out;
}

export function describeError(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) return `${String(err.code)}: ${String(err.message)}`;
  return errorMessage(err);
}

/** Runs an action behind a button: disabled while it runs, its error or notice shown in `status`. */
export async function busy(button: HTMLButtonElement | null, status: HTMLElement, action: () => Promise<string | void>): Promise<void> {
  if (button) button.disabled = true;
  status.className = 'notice';
  status.textContent = '';
  try {
    const notice = await action();
    if (notice) status.textContent = notice;
  } catch (err) {
    status.className = 'error';
    status.textContent = describeError(err);
  } finally {
    if (button) button.disabled = false;
  }
}
