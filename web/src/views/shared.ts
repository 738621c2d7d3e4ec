/** Pieces several pages use. */
import type { Page as ApiPage } from '../api';
import { safeNext, type App } from '../app';
import { h, type Child } from '../dom';
import { describeError } from '../errors';
import type { Page } from '../router';

/** A page: its `<h1>` and content. */
export const page = (title: string, ...content: Child[]): Page => ({ title, content: h('div', { class: 'page' }, h('h1', {}, title), ...content) });

/** Asks a signed-out visitor to sign in, coming back to `path` after. */
export function signInPrompt(what: string, path: string): HTMLElement {
  const next = encodeURIComponent(safeNext(path));
  return h(
    'p',
    { class: 'notice' },
    `To ${what}, `,
    h('a', { href: `/signin?next=${next}` }, 'sign in'),
    ' or ',
    h('a', { href: `/signup?next=${next}` }, 'create an account'),
    '.',
  );
}

/**
 * A list that loads more on request: the first page at once, then a "Show
 * more" button while the API has a `nextCursor`; new items are announced and
 * the focus moves to the first of them.
 */
export async function pagedList<T>(
  app: App,
  options: {
    readonly label: string;
    readonly load: (cursor: string | undefined) => Promise<ApiPage<T>>;
    readonly item: (item: T) => HTMLElement;
    readonly empty: Child;
    readonly className?: string;
  },
): Promise<HTMLElement> {
  const first = await options.load(undefined);
  const list = h('ul', { class: options.className ?? 'cards', 'aria-label': options.label });
  const error = h('p', { class: 'alert', role: 'alert', hidden: true });
  let cursor = first.nextCursor;
  const more = h('button', { type: 'button', class: 'secondary', hidden: !cursor }, 'Show more');
  const add = (items: T[]) => items.map((it) => list.appendChild(h('li', {}, options.item(it))));
  add(first.items);
  more.addEventListener('click', async () => {
    more.disabled = true;
    error.hidden = true;
    try {
      const next = await options.load(cursor ?? undefined);
      const added = add(next.items);
      cursor = next.nextCursor;
      more.hidden = !cursor;
      app.announce(`${next.items.length} more shown.`);
      const focusable = added[0]?.querySelector<HTMLElement>('a, button');
      focusable?.focus();
    } catch (err) {
      error.hidden = false;
      error.textContent = describeError(err);
    } finally {
      more.disabled = false;
    }
  });
  if (first.items.length === 0) return h('div', {}, h('p', { class: 'empty' }, options.empty));
  return h('div', {}, list, error, more);
}

/** An inline "are you sure?" for a destructive action: the button becomes a confirm and a keep button. */
export function confirmButton(options: { label: string; confirm: string; keep: string; onConfirm: () => Promise<void> }): HTMLElement {
  const box = h('div', { class: 'confirm' });
  const error = h('p', { class: 'alert', role: 'alert', hidden: true });
  const ask = () => {
    const yes = h('button', { type: 'button', class: 'danger' }, options.confirm);
    const no = h('button', { type: 'button', class: 'secondary' }, options.keep);
    yes.addEventListener('click', async () => {
      yes.disabled = no.disabled = true;
      error.hidden = true;
      try {
        await options.onConfirm();
      } catch (err) {
        error.hidden = false;
        error.textContent = describeError(err);
        yes.disabled = no.disabled = false;
        yes.focus();
      }
    });
    no.addEventListener('click', () => idle(true));
    box.replaceChildren(h('span', { class: 'question' }, 'Are you sure?'), yes, no, error);
    yes.focus();
  };
  const idle = (focus = false) => {
    const b = h('button', { type: 'button', class: 'secondary', on: { click: ask } }, options.label);
    box.replaceChildren(b);
    if (focus) b.focus();
  };
  idle();
  return box;
}
