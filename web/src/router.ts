/**
 * Client-side routing with the History API: real URLs (`/events/<id>`) that
 * the server answers with index.html (the SPA fallback), links that stay
 * links (keyboard, middle-click and "open in new tab" work as usual), and on
 * every page change the new title and the keyboard focus on the page's
 * heading, so screen-reader and keyboard users land on the new content.
 */
export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Aborted when the user leaves the page: stop polling, drop late answers. */
  readonly signal: AbortSignal;
}

export interface Page {
  /** The document title (the site name is added). */
  readonly title: string;
  readonly content: Node;
}

export type Render = (ctx: RouteContext) => Page | Promise<Page>;

export interface Route {
  /** `/events/:id`: literal segments and `:name` parameters. */
  readonly path: string;
  readonly render: Render;
}

export interface RouterOptions {
  readonly routes: readonly Route[];
  readonly notFound: Render;
  /** What to show when a page fails to render. */
  readonly failed: (err: unknown) => Page;
  /** Where pages go (`<main>`). */
  readonly outlet: HTMLElement;
  readonly siteName: string;
  /** After every page change (e.g. to mark the current nav link). */
  readonly onChange?: (path: string) => void;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    let g: string;
    try {
      g = decodeURIComponent(got[i]!);
    } catch {
      return undefined;
    }
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w !== g) return undefined;
  }
  return params;
}

export type Router = ReturnType<typeof createRouter>;

export function createRouter(options: RouterOptions) {
  let controller: AbortController | undefined;
  let first = true;

  async function show(): Promise<void> {
    controller?.abort();
    const current = (controller = new AbortController());
    const { pathname, search } = window.location;
    const query = new URLSearchParams(search);
    const found = options.routes.map((r) => ({ r, params: match(r.path, pathname) })).find((m) => m.params);
    const outlet = options.outlet;
    outlet.setAttribute('aria-busy', 'true');
    let page: Page;
    try {
      const ctx = { params: found?.params ?? {}, query, signal: current.signal };
      page = await (found ? found.r.render(ctx) : options.notFound(ctx));
    } catch (err) {
      if (current.signal.aborted) return;
      page = options.failed(err);
    }
    if (current.signal.aborted) return;
    outlet.replaceChildren(page.content);
    outlet.removeAttribute('aria-busy');
    document.title = `${page.title} · ${options.siteName}`;
    options.onChange?.(pathname);
    if (!first) {
      window.scrollTo(0, 0);
      const heading = outlet.querySelector('h1') ?? outlet;
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      (heading as HTMLElement).focus();
    }
    first = false;
  }

  /** Goes to `url` (a path with an optional query) as a new history entry, or replacing the current one. */
  function navigate(url: string, { replace = false } = {}): Promise<void> {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    return show();
  }

  function onClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || !a.href) return;
    const url = new URL(a.href);
    if (url.origin !== window.location.origin || url.pathname.includes('.')) return;
    event.preventDefault();
    if (url.pathname + url.search !== window.location.pathname + window.location.search) void navigate(url.pathname + url.search);
  }

  return {
    navigate,
    /** Shows the current URL's page again (e.g. after signing in or out). */
    refresh: show,
    start(): Promise<void> {
      document.addEventListener('click', onClick);
      window.addEventListener('popstate', () => void show());
      return show();
    },
  };
}
