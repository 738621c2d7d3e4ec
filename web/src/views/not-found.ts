import { h } from '../dom';
import type { Page } from '../router';
import { page } from './shared';

export const notFoundPage = (): Page => page('Page not found', h('p', {}, 'There is no page at this address. ', h('a', { href: '/' }, 'See the upcoming events.')));
