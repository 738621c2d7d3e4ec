/** The posts board: everyone reads it; a signed-in user writes, and deletes their own posts. */
import type { Page as ApiPage, Post } from '../api';
import type { App, PageRender } from '../app';
import { h, time } from '../dom';
import { field, form } from '../forms';
import { confirmButton, page, pagedList, signInPrompt } from './shared';

function postCard(app: App, p: Post): HTMLElement {
  const mine = p.authorId !== null && p.authorId === app.session.user()?.sub;
  const card: HTMLElement = h(
    'article',
    { class: 'card post' },
    h('h2', {}, p.title),
    h('p', { class: 'meta' }, 'By ', p.author, ' · ', time(p.createdAt)),
    h('p', { class: 'body' }, p.body),
    mine &&
      confirmButton({
        label: 'Delete post',
        confirm: 'Yes, delete it',
        keep: 'Keep it',
        onConfirm: async () => {
          await app.api.delete(`/posts/${encodeURIComponent(p.id)}`, { auth: true });
          card.closest('li')?.remove();
          app.announce('Your post is deleted.');
          document.querySelector<HTMLElement>('main h1')?.focus();
        },
      }),
  );
  return card;
}

export const boardPage: PageRender = async (app) => {
  const list = await pagedList<Post>(app, {
    label: 'Posts, newest first',
    load: (cursor) => app.api.get<ApiPage<Post>>('/posts', { query: { limit: '20', cursor } }),
    empty: 'No posts yet.',
    item: (p) => postCard(app, p),
  });
  const user = app.session.user();
  const write = h('section', { 'aria-labelledby': 'write-heading' }, h('h2', { id: 'write-heading' }, 'Write a post'));
  if (!user) write.append(signInPrompt('write a post', '/posts'));
  else {
    const title = field({ path: 'body.title', label: 'Title', attrs: { required: true, maxlength: 200 } });
    const body = field({ path: 'body.body', label: 'Text', multiline: true, attrs: { required: true, maxlength: 10000, rows: 4 } });
    const author = field({
      path: 'body.author',
      label: 'Signed',
      hint: 'The name shown with your post.',
      attrs: { required: true, maxlength: 100, autocomplete: 'name', value: user.email.split('@')[0] ?? '' },
    });
    const posting = form({
      label: 'Write a post',
      fields: [title, body, author],
      submit: 'Post',
      busy: 'Posting…',
      onSubmit: async (values) => {
        const post = await app.api.post<Post>('/posts', values, { auth: true });
        let ul = list.querySelector('ul');
        if (!ul) {
          ul = h('ul', { class: 'cards', 'aria-label': 'Posts, newest first' });
          list.replaceChildren(ul);
        }
        ul.prepend(h('li', {}, postCard(app, post)));
        title.control.value = '';
        body.control.value = '';
        app.announce('Your post is on the board.');
      },
    });
    write.append(posting);
  }
  return page('Board', write, h('section', { 'aria-labelledby': 'posts-heading' }, h('h2', { id: 'posts-heading' }, 'Latest posts'), list));
};
