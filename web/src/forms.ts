/**
 * Accessible forms: every control has a visible label, a hint and an error
 * message tied to it (`aria-describedby`), invalid fields are marked
 * (`aria-invalid`) and the first one gets the focus; a form-level message sits
 * in a `role="alert"` box that screen readers announce.
 */
import { describeError, fieldErrors, type FieldLabels } from './errors';
import { h, replace, uid, type Child } from './dom';

export interface FieldOptions {
  /** Request path of the value (`body.name`): where the API's validation details point. */
  readonly path: string;
  readonly label: string;
  readonly hint?: string;
  /** `input` attributes (`type`, `autocomplete`, `required`, `maxlength`, …), or `multiline` for a textarea. */
  readonly attrs?: Readonly<Record<string, string | number | boolean>>;
  readonly multiline?: boolean;
}

export interface Field {
  readonly path: string;
  readonly label: string;
  readonly element: HTMLElement;
  readonly control: HTMLInputElement | HTMLTextAreaElement;
  setError(message: string | undefined): void;
}

export function field(o: FieldOptions): Field {
  const id = uid('f');
  const hintId = o.hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const attrs = { id, name: o.path.replace(/^body\./, ''), 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...o.attrs };
  const control = o.multiline ? h('textarea', attrs) : h('input', { type: 'text', ...attrs });
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  return {
    path: o.path,
    label: o.label,
    control,
    element: h('div', { class: 'field' }, h('label', { for: id }, o.label), o.hint && h('p', { class: 'hint', id: hintId }, o.hint), control, error),
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

export interface FormOptions {
  readonly label: string;
  readonly fields: readonly Field[];
  readonly submit: string;
  /** Text on the button while the request runs. */
  readonly busy: string;
  readonly extra?: Child;
  /** Runs the request with the fields' values; throw to show the error. */
  readonly onSubmit: (values: Record<string, string>) => Promise<void>;
  /** How to word an error; by default `describeError` with the fields' labels. */
  readonly describe?: (err: unknown) => string;
}

/** A form that validates in the browser first, then shows the API's answer on the fields it names. */
export function form(o: FormOptions): HTMLFormElement {
  const labels: FieldLabels = Object.fromEntries(o.fields.map((f) => [f.path, f.label]));
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, o.submit);
  const el = h('form', { 'aria-label': o.label, novalidate: true }, alert, o.fields.map((f) => f.element), o.extra, h('div', { class: 'actions' }, button));

  const showAlert = (message: string | undefined) => {
    alert.hidden = !message;
    replace(alert, message ?? '');
  };

  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    showAlert(undefined);
    for (const f of o.fields) f.setError(f.control.checkValidity() ? undefined : f.control.validationMessage);
    const invalid = o.fields.find((f) => !f.control.checkValidity());
    if (invalid) {
      invalid.control.focus();
      return;
    }
    const values = Object.fromEntries(o.fields.map((f) => [f.path.replace(/^body\./, ''), f.control.value]));
    button.disabled = true;
    el.setAttribute('aria-busy', 'true');
    button.textContent = o.busy;
    try {
      await o.onSubmit(values);
    } catch (err) {
      const byField = fieldErrors(err);
      for (const f of o.fields) f.setError(byField.get(f.path));
      showAlert((o.describe ?? ((e) => describeError(e, labels)))(err));
      const first = o.fields.find((f) => byField.has(f.path));
      (first?.control ?? alert).focus();
    } finally {
      button.disabled = false;
      el.removeAttribute('aria-busy');
      button.textContent = o.submit;
    }
  });
  alert.tabIndex = -1;
  return el;
}
