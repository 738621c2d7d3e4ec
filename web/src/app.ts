/** What every page gets: the settings, the API, the session, navigation and the live status region. */
import type { Api } from './api';
import type { AppConfig } from './config';
import type { Page, RouteContext, Router } from './router';
import type { Session } from './session';

export interface App {
  readonly config: AppConfig;
  readonly api: Api;
  readonly session: Session;
  readonly navigate: Router['navigate'];
  /** Says `message` through the polite live region (screen readers read it without moving focus). */
  announce(message: string): void;
}

/** A same-origin path to come back to after signing in (never another site). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** A page of the app: rendered with the app and the route's context. */
export type PageRender = (app: App, ctx: RouteContext) => Page | Promise<Page>;
