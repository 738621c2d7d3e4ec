/**
 * The conference web app: events, registration with its confirmation, "my
 * registrations" and the posts board, on the HTTP API and the Cognito user
 * pool named in /config.json. Plain TypeScript and the DOM: no framework.
 */
import './styles.css';
import { createApi } from './api';
import type { App, PageRender } from './app';
import { loadConfig } from './config';
import { h, replace } from './dom';
import { describeError } from './errors';
import { createRouter, type RouteContext } from './router';
import { createSession } from './session';
import { confirmPage, signInPage, signUpPage } from './views/account';
import { eventPage, eventsPage } from './views/events';
import { notFoundPage } from './views/not-found';
import { boardPage } from './views/posts';
import { myRegistrationsPage, resultPage } from './views/registrations';

const SITE = 'Conference';

const NAV: readonly [path: string, label: string][] = [
  ['/', 'Events'],
  ['/me/registrations', 'My registrations'],
  ['/posts', 'Board'],
];

async function start(): Promise<void> {
  const main = document.getElementById('main')!;
  const status = document.getElementById('status')!;
  const nav = document.getElementById('nav')!;
  const account = document.getElementById('account')!;

  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    replace(main, h('h1', {}, 'The app cannot start'), h('p', { role: 'alert' }, describeError(err)));
    return;
  }

  const session = createSession(config);
  const api = createApi({ baseUrl: config.apiUrl, idToken: () => session.idToken(), onUnauthorized: () => session.expire() });
  let app: App;
  const page = (render: PageRender) => (ctx: RouteContext) => render(app, ctx);
  const router = createRouter({
    outlet: main,
    siteName: SITE,
    routes: [
      { path: '/', render: page(eventsPage) },
      { path: '/events/:id', render: page(eventPage) },
      { path: '/registrations/:id', render: page(resultPage) },
      { path: '/me/registrations', render: page(myRegistrationsPage) },
      { path: '/posts', render: page(boardPage) },
      { path: '/signin', render: page(signInPage) },
      { path: '/signup', render: page(signUpPage) },
      { path: '/signup/confirm', render: page(confirmPage) },
    ],
    notFound: () => notFoundPage(),
    failed: (err) => ({ title: 'Something went wrong', content: h('div', {}, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, describeError(err))) }),
    onChange: (path) => renderNav(path),
  });
  app = {
    config,
    api,
    session,
    navigate: router.navigate,
    announce(message) {
      // Cleared first so that the same message twice is read twice.
      status.textContent = '';
      setTimeout(() => (status.textContent = message), 50);
    },
  };

  function renderNav(path: string): void {
    replace(
      nav,
      h(
        'ul',
        {},
        NAV.map(([href, label]) => h('li', {}, h('a', { href, 'aria-current': href === path || (href !== '/' && path.startsWith(href)) ? 'page' : undefined }, label))),
      ),
    );
    const user = session.user();
    const next = encodeURIComponent(window.location.pathname + window.location.search);
    replace(
      account,
      user
        ? [
            h('span', { class: 'who' }, 'Signed in as ', h('strong', {}, user.email)),
            h('button', { type: 'button', class: 'link', on: { click: () => void signOut() } }, 'Sign out'),
          ]
        : [h('a', { href: `/signin?next=${next}` }, 'Sign in'), h('a', { href: `/signup?next=${next}`, class: 'button' }, 'Create account')],
    );
  }

  async function signOut(): Promise<void> {
    await session.signOut();
    app.announce('You are signed out.');
  }

  session.onChange(() => {
    renderNav(window.location.pathname);
    void router.refresh();
  });
  await router.start();
}

void start();
