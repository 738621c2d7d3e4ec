/** The home page (upcoming events) and an event's page, where a signed-in user registers. */
import type { ConferenceEvent, Page as ApiPage, Registration } from '../api';
import type { PageRender } from '../app';
import { h, time } from '../dom';
import { ApiError } from '../errors';
import { field, form } from '../forms';
import { page, pagedList, signInPrompt } from './shared';

const seatsLeft = (e: ConferenceEvent) => Math.max(0, e.capacity - e.registered);

function seats(e: ConferenceEvent): HTMLElement {
  const left = seatsLeft(e);
  return h('p', { class: left === 0 ? 'seats full' : 'seats' }, left === 0 ? 'Full: no seats left' : `${left} of ${e.capacity} seats left`);
}

export const eventsPage: PageRender = async (app) => {
  const list = await pagedList<ConferenceEvent>(app, {
    label: 'Upcoming events',
    load: (cursor) => app.api.get<ApiPage<ConferenceEvent>>('/events', { query: { limit: '20', cursor } }),
    empty: 'No upcoming events yet. Come back soon.',
    item: (e) => h('article', { class: 'card' }, h('h2', {}, h('a', { href: `/events/${encodeURIComponent(e.id)}` }, e.name)), h('p', {}, time(e.startsAt)), seats(e)),
  });
  return page('Upcoming events', list);
};

export const eventPage: PageRender = async (app, ctx) => {
  const id = ctx.params.id!;
  const path = `/events/${encodeURIComponent(id)}`;
  let event: ConferenceEvent;
  try {
    event = await app.api.get<ConferenceEvent>(path, { signal: ctx.signal });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') return page('Event not found', h('p', {}, 'There is no such event. ', h('a', { href: '/' }, 'See the upcoming events.')));
    throw err;
  }
  const seatLine = seats(event);
  const section = h('section', { 'aria-labelledby': 'register-heading' }, h('h2', { id: 'register-heading' }, 'Register'));
  const showFull = () =>
    section.replaceChildren(
      h('h2', { id: 'register-heading' }, 'Register'),
      h('div', { class: 'notice full', role: 'status' }, h('p', {}, h('strong', {}, 'This event is full.')), h('p', {}, 'Every seat is taken, so registration is closed.')),
    );

  const user = app.session.user();
  if (seatsLeft(event) === 0) showFull();
  else if (!user) section.append(signInPrompt('register', path));
  else {
    const name = field({ path: 'body.name', label: 'Your name', hint: 'As it should appear on your badge.', attrs: { required: true, maxlength: 200, autocomplete: 'name' } });
    section.append(
      form({
        label: 'Register for this event',
        fields: [name],
        submit: 'Register',
        busy: 'Registering…',
        extra: h('p', { class: 'hint' }, 'Your confirmation goes to ', h('strong', {}, user.email), '.'),
        onSubmit: async ({ name }) => {
          try {
            const registration = await app.api.post<Registration>(`${path}/registrations`, { name }, { auth: true });
            app.announce('You are registered. Your confirmation is on its way.');
            await app.navigate(`/registrations/${encodeURIComponent(registration.id)}`);
          } catch (err) {
            if (err instanceof ApiError && err.code === 'event_full') {
              event = { ...event, registered: event.capacity };
              seatLine.replaceWith(seats(event));
              showFull();
              app.announce('This event is full: no seats are left.');
              return;
            }
            if (err instanceof ApiError && err.code === 'already_registered') {
              throw new Error('You are already registered for this event: see My registrations.');
            }
            throw err;
          }
        },
      }),
    );
  }
  return {
    title: event.name,
    content: h('div', { class: 'page' }, h('p', { class: 'back' }, h('a', { href: '/' }, '← All events')), h('h1', {}, event.name), h('p', { class: 'when' }, time(event.startsAt)), seatLine, section),
  };
};
