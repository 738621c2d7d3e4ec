/**
 * Building DOM without HTML strings: every text goes through a text node, so
 * nothing the API or a user sends can become markup (no innerHTML anywhere;
 * the CSP forbids inline scripts and styles as a second line).
 *
 *   h('p', { class: 'hint' }, 'Seats left: ', h('strong', {}, String(n)))
 */
export type Child = Node | string | number | false | null | undefined | readonly Child[];

type Listener = (event: Event) => void;

export interface Props {
  readonly class?: string;
  /** Event listeners by event name: `{ click: () => … }`. */
  readonly on?: Readonly<Record<string, Listener>>;
  /** Any other attribute; `true` sets it empty, `false`/`undefined` leaves it out. */
  readonly [attribute: string]: string | number | boolean | undefined | Readonly<Record<string, Listener>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Record<string, Listener>)) el.addEventListener(event, listener);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (value !== false && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A unique element id, for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

/** A `<time>` element showing an ISO instant in the reader's locale and time zone. */
export function time(iso: string): HTMLTimeElement {
  const d = new Date(iso);
  return h('time', { datetime: iso }, Number.isNaN(d.getTime()) ? iso : dateFormat.format(d));
}
