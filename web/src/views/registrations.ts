/**
 * "My registrations" (with cancel) and the result page of one registration,
 * which waits for its confirmation: the confirmations task issues it
 * asynchronously (SNS → SQS → task), so the page asks again with growing
 * pauses until the registration is `confirmed`, then shows the code and the
 * badge.
 */
import { sleep, type MyRegistration, type Page as ApiPage, type RegistrationDetail } from '../api';
import type { App, PageRender } from '../app';
import { h, replace, time } from '../dom';
import { ApiError, describeError, isTransient } from '../errors';
import type { RouteContext } from '../router';
import { confirmButton, page, pagedList, signInPrompt } from './shared';

/** Pauses between checks of a pending registration; the last repeats until `WAIT_LIMIT_MS`. */
export const POLL_BACKOFF_MS = [500, 1000, 2000, 3000, 5000];
const WAIT_LIMIT_MS = 120_000;

function statusOf(r: MyRegistration): HTMLElement {
  if (r.status === 'confirmed') return h('p', { class: 'status confirmed' }, 'Confirmed · code ', h('code', {}, r.confirmationCode ?? ''));
  if (r.status === 'pending') return h('p', { class: 'status pending' }, 'Confirmation pending');
  return h('p', { class: 'status' }, 'Registered');
}

export const myRegistrationsPage: PageRender = async (app) => {
  if (!app.session.user()) return page('My registrations', signInPrompt('see your registrations', '/me/registrations'));
  const heading = () => document.querySelector<HTMLElement>('main h1');
  const list = await pagedList<MyRegistration>(app, {
    label: 'Your registrations',
    className: 'cards registrations',
    load: (cursor) => app.api.get<ApiPage<MyRegistration>>('/me/registrations', { auth: true, query: { limit: '20', cursor } }),
    empty: ['You have not registered for any event yet. ', h('a', { href: '/' }, 'See the upcoming events.')],
    item: (r) => {
      const card = h(
        'article',
        { class: 'card' },
        h('h2', {}, h('a', { href: `/events/${encodeURIComponent(r.eventId)}` }, r.eventName)),
        h('p', {}, time(r.startsAt)),
        h('p', {}, 'Attendee: ', r.name),
        statusOf(r),
        h(
          'div',
          { class: 'row' },
          h('a', { href: `/registrations/${encodeURIComponent(r.id)}` }, 'View confirmation'),
          confirmButton({
            label: 'Cancel registration',
            confirm: 'Yes, cancel it',
            keep: 'Keep it',
            onConfirm: async () => {
              await app.api.delete(`/events/${encodeURIComponent(r.eventId)}/registrations/${encodeURIComponent(r.id)}`, { auth: true });
              const li = card.closest('li')!;
              const list = li.parentElement!;
              li.remove();
              if (list.children.length === 0) list.replaceWith(h('p', { class: 'empty' }, 'You have no registrations left.'));
              app.announce(`Your registration for ${r.eventName} is cancelled.`);
              heading()?.focus();
            },
          }),
        ),
      );
      return card;
    },
  });
  return page('My registrations', list);
};

/** The badge, an SVG document from the API, shown as an image: scripts in an image never run. */
function badge(r: RegistrationDetail): HTMLElement | false {
  if (!r.badgeSvg) return false;
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.badgeSvg)}`;
  return h(
    'figure',
    { class: 'badge' },
    h('img', { src, alt: `Participation badge: ${r.eventName}, ${r.name}, code ${r.confirmationCode ?? ''}`, width: 600, height: 340 }),
    h('figcaption', {}, h('a', { href: src, download: 'badge.svg' }, 'Download the badge')),
  );
}

export const resultPage: PageRender = async (app, ctx) => {
  const id = ctx.params.id!;
  const path = `/registrations/${encodeURIComponent(id)}`;
  if (!app.session.user()) return page('Your registration', signInPrompt('see this registration', path));
  let r: RegistrationDetail;
  try {
    r = await app.api.get<RegistrationDetail>(`/me${path}`, { auth: true, signal: ctx.signal });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') {
      return page('Registration not found', h('p', {}, 'You have no registration with this address (it may have been cancelled). ', h('a', { href: '/me/registrations' }, 'See your registrations.')));
    }
    throw err;
  }
  const status = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const details = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Event'),
    h('dd', {}, h('a', { href: `/events/${encodeURIComponent(r.eventId)}` }, r.eventName)),
    h('dt', {}, 'When'),
    h('dd', {}, time(r.startsAt)),
    h('dt', {}, 'Attendee'),
    h('dd', {}, `${r.name} (${r.email})`),
  );
  showResult(status, r);
  if (r.status === 'pending') void waitForConfirmation(app, ctx, `/me${path}`, status);
  return page('Your registration', details, status, h('p', {}, h('a', { href: '/me/registrations' }, 'All your registrations')));
};

function showResult(box: HTMLElement, r: RegistrationDetail): void {
  if (r.status === 'confirmed') {
    replace(
      box,
      h('h2', {}, 'You are confirmed'),
      h('p', { class: 'code' }, 'Confirmation code: ', h('strong', { class: 'code-value' }, r.confirmationCode ?? '')),
      badge(r),
    );
  } else if (r.status === 'pending') {
    box.replaceChildren(h('h2', {}, 'Confirming your registration…'), h('p', { class: 'spinner' }, 'Your seat is reserved. Your confirmation code and badge appear here in a moment.'));
  } else {
    box.replaceChildren(h('h2', {}, 'You are registered'), h('p', {}, 'Your seat is reserved.'));
  }
}

/** Asks again with growing pauses until confirmed (or the user leaves the page); offers a manual check after the limit. */
async function waitForConfirmation(app: App, ctx: RouteContext, url: string, box: HTMLElement): Promise<void> {
  const started = Date.now();
  for (let i = 0; Date.now() - started < WAIT_LIMIT_MS; i++) {
    try {
      await sleep(POLL_BACKOFF_MS[Math.min(i, POLL_BACKOFF_MS.length - 1)]!, ctx.signal);
      const r = await app.api.get<RegistrationDetail>(url, { auth: true, signal: ctx.signal });
      if (r.status !== 'pending') {
        showResult(box, r);
        return;
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (!isTransient(err)) {
        box.replaceChildren(h('h2', {}, 'We could not check your confirmation'), h('p', { class: 'alert' }, describeError(err)));
        return;
      }
    }
  }
  const again = h('button', { type: 'button' }, 'Check again');
  again.addEventListener('click', () => void app.navigate(window.location.pathname, { replace: true }));
  box.replaceChildren(h('h2', {}, 'Still confirming'), h('p', {}, 'Your seat is reserved, but the confirmation is taking longer than usual.'), again);
}
