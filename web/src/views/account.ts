/** Sign in, create an account, and confirm it with the emailed code. */
import { safeNext, type PageRender } from '../app';
import { h } from '../dom';
import { describeAuthError, needsConfirmation } from '../errors';
import { field, form } from '../forms';
import { page } from './shared';

const PASSWORD_RULE = 'At least 12 characters, with upper- and lower-case letters, a digit and a symbol.';

const emailField = (value = '') =>
  field({ path: 'email', label: 'Email', attrs: { type: 'email', required: true, autocomplete: 'username', spellcheck: false, value } });

export const signInPage: PageRender = (app, ctx) => {
  const next = safeNext(ctx.query.get('next'));
  const email = emailField(ctx.query.get('email') ?? '');
  const password = field({ path: 'password', label: 'Password', attrs: { type: 'password', required: true, autocomplete: 'current-password' } });
  const confirmed = ctx.query.get('confirmed') === '1';
  return page(
    'Sign in',
    confirmed && h('p', { class: 'success', role: 'status' }, 'Your account is confirmed. Sign in to continue.'),
    form({
      label: 'Sign in',
      fields: [email, password],
      submit: 'Sign in',
      busy: 'Signing in…',
      describe: (err) => describeAuthError(err),
      onSubmit: async (v) => {
        try {
          await app.session.signIn(v.email!, v.password!);
        } catch (err) {
          if (!needsConfirmation(err)) throw err;
          await app.navigate(`/signup/confirm?${new URLSearchParams({ email: v.email!, next })}`);
          return;
        }
        app.announce('You are signed in.');
        await app.navigate(next, { replace: true });
      },
    }),
    h('p', {}, 'New here? ', h('a', { href: `/signup?next=${encodeURIComponent(next)}` }, 'Create an account'), '.'),
  );
};

export const signUpPage: PageRender = (app, ctx) => {
  const next = safeNext(ctx.query.get('next'));
  const email = emailField();
  const password = field({ path: 'password', label: 'Password', hint: PASSWORD_RULE, attrs: { type: 'password', required: true, minlength: 12, autocomplete: 'new-password' } });
  return page(
    'Create an account',
    form({
      label: 'Create an account',
      fields: [email, password],
      submit: 'Create account',
      busy: 'Creating your account…',
      describe: (err) => describeAuthError(err, true),
      onSubmit: async (v) => {
        const result = await app.session.signUp(v.email!, v.password!);
        const to = result.confirmed ? `/signin?${new URLSearchParams({ email: v.email!, next, confirmed: '1' })}` : `/signup/confirm?${new URLSearchParams({ email: v.email!, next })}`;
        await app.navigate(to);
      },
    }),
    h('p', {}, 'Have an account? ', h('a', { href: `/signin?next=${encodeURIComponent(next)}` }, 'Sign in'), '.'),
  );
};

export const confirmPage: PageRender = (app, ctx) => {
  const next = safeNext(ctx.query.get('next'));
  const address = ctx.query.get('email') ?? '';
  const email = emailField(address);
  const code = field({
    path: 'code',
    label: 'Confirmation code',
    hint: 'The 6-digit code in the email we sent you.',
    attrs: { required: true, inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 },
  });
  const resendStatus = h('p', { role: 'status', class: 'hint' });
  const resend = h('button', { type: 'button', class: 'secondary' }, 'Send a new code');
  resend.addEventListener('click', async () => {
    if (!email.control.checkValidity()) {
      email.setError(email.control.validationMessage);
      email.control.focus();
      return;
    }
    resend.disabled = true;
    try {
      await app.session.resendCode(email.control.value);
      resendStatus.textContent = `A new code is on its way to ${email.control.value}.`;
    } catch (err) {
      resendStatus.textContent = describeAuthError(err);
    } finally {
      resend.disabled = false;
    }
  });
  return page(
    'Confirm your account',
    h('p', {}, address ? `We emailed a code to ${address}. Enter it to confirm your account.` : 'Enter the code we emailed you to confirm your account.'),
    form({
      label: 'Confirm your account',
      fields: [email, code],
      submit: 'Confirm',
      busy: 'Confirming…',
      describe: (err) => describeAuthError(err),
      onSubmit: async (v) => {
        await app.session.confirm(v.email!, v.code!.trim());
        await app.navigate(`/signin?${new URLSearchParams({ email: v.email!, next, confirmed: '1' })}`, { replace: true });
      },
    }),
    h('div', { class: 'resend' }, resend, resendStatus),
  );
};
