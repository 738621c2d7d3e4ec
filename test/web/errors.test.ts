/**
 * The web app's wording of failures (web/src/errors.ts): every error of the
 * API's contract, API Gateway's own answers, no answer at all, and Cognito's
 * refusals become a sentence a reader can act on.
 */
import { ApiError, describeAuthError, describeError, errorFromAnswer, fieldErrors, isTransient, needsConfirmation, networkError } from '../../web/src/errors';
import { parseConfig } from '../../web/src/config';

const contract = (status: number, code: string, message = 'm', details?: unknown) => errorFromAnswer(status, { error: { code, message, ...(details ? { details } : {}) } });

test('every code of the error contract reads as a sentence', () => {
  const cases: [ApiError, string][] = [
    [contract(409, 'event_full'), 'This event is full: no seats are left.'],
    [contract(409, 'already_registered'), 'You are already registered for this event.'],
    [contract(409, 'version_conflict'), 'Someone changed this in the meantime. Reload the page and try again.'],
    [contract(401, 'unauthorized'), 'Please sign in again: your session has ended.'],
    [contract(503, 'unavailable'), 'The service is busy or briefly unavailable. Please try again in a moment.'],
    [contract(500, 'internal', 'Internal server error'), 'Something went wrong on our side. Please try again.'],
    [contract(413, 'payload_too_large'), 'That is too much text to send at once. Please shorten it.'],
    [contract(404, 'not_found', 'Event not found'), 'Event not found'],
    [contract(403, 'forbidden', 'Only the attendee or an organizer may cancel a registration'), 'Only the attendee or an organizer may cancel a registration'],
    [contract(400, 'invalid_json', 'Malformed JSON'), 'Malformed JSON'],
    [contract(415, 'unsupported_media_type', 'Send JSON'), 'Send JSON'],
    [contract(418, 'something_new', ''), 'The request failed (418). Please try again.'],
  ];
  for (const [err, text] of cases) expect([err.code, describeError(err)]).toEqual([err.code, text]);
});

test('validation details name the fields by their labels, and are kept per field', () => {
  const err = contract(400, 'validation_failed', 'The request is invalid', [
    { path: 'body.title', message: 'Too small: expected string to have >=1 characters' },
    { path: 'body.other', message: 'Unrecognized key' },
    { path: 'body.title', message: 'second message for the same field' },
  ]);
  expect(describeError(err, { 'body.title': 'Title' })).toBe('Please check: Title: Too small: expected string to have >=1 characters; other: Unrecognized key; Title: second message for the same field.');
  expect([...fieldErrors(err)]).toEqual([
    ['body.title', 'Too small: expected string to have >=1 characters'],
    ['body.other', 'Unrecognized key'],
  ]);
  expect(describeError(contract(400, 'validation_failed', 'The request is invalid'))).toBe('The request is invalid');
});

test('API Gateway\'s own answers ({"message"}) and no answer at all read as sentences', () => {
  expect(describeError(errorFromAnswer(404, { message: 'Not Found' }))).toMatch(/^The app asked the server for something it does not have/);
  expect(describeError(errorFromAnswer(401, { message: 'Unauthorized' }))).toBe('Please sign in again: your session has ended or is not valid.');
  expect(describeError(errorFromAnswer(413, { message: 'Request Entity Too Large' }))).toBe('That request is too large to send.');
  expect(describeError(errorFromAnswer(429, { message: 'Too Many Requests' }))).toBe('Too many requests right now. Please wait a moment and try again.');
  expect(describeError(errorFromAnswer(500, { message: 'Internal Server Error' }))).toBe('The server failed to answer. Please try again.');
  expect(describeError(errorFromAnswer(503, { message: 'Service Unavailable' }))).toBe('The server did not answer in time. Please try again.');
  expect(describeError(errorFromAnswer(502, undefined))).toBe('The server answered 502. Please try again.');
  // Cross-origin, a gateway answer has no CORS headers: the browser reports a failed fetch.
  expect(describeError(networkError())).toMatch(/^The server could not be reached, or it refused the request\./);
  expect(describeError(new Error('You are already registered'))).toBe('You are already registered');
});

test('reads are retried on no answer, 429 and 503 only', () => {
  expect([networkError(), errorFromAnswer(429, {}), contract(503, 'unavailable'), errorFromAnswer(503, {})].every(isTransient)).toBe(true);
  expect([contract(500, 'internal'), contract(404, 'not_found'), errorFromAnswer(401, {}), new Error('x')].some(isTransient)).toBe(false);
});

test("Cognito's refusals read as sentences; a password the policy refuses says why on sign-up", () => {
  const e = (code: string, message = '') => Object.assign(new Error(message), { code, name: code });
  expect(describeAuthError(e('NotAuthorizedException', 'Incorrect username or password.'))).toBe('Incorrect email or password.');
  expect(describeAuthError(e('InvalidPasswordException', 'Invalid password'))).toBe('Incorrect email or password.');
  expect(describeAuthError(e('InvalidPasswordException', 'Password did not conform with policy: Password must have symbol characters'), true)).toBe(
    'Password did not conform with policy: Password must have symbol characters',
  );
  expect(describeAuthError(e('UsernameExistsException'))).toBe('An account with this email already exists. Sign in instead.');
  expect(describeAuthError(e('CodeMismatchException'))).toBe('That code is not right. Check the email we sent and try again.');
  expect(describeAuthError(e('ExpiredCodeException'))).toBe('That code has expired. Ask for a new one.');
  expect(describeAuthError(e('LimitExceededException'))).toBe('Too many attempts. Please wait a while and try again.');
  expect(describeAuthError(new TypeError('Failed to fetch'))).toBe('The sign-in service could not be reached. Check your connection and try again.');
  expect(describeAuthError(e('Unknown', 'Cognito Local unsupported feature'))).toBe('Cognito Local unsupported feature');
  expect(needsConfirmation(e('UserNotConfirmedException'))).toBe(true);
  expect(needsConfirmation(e('NotAuthorizedException'))).toBe(false);
});

test('config.json: the settings are checked, naming the field; SRP unless the flow is given', () => {
  const good = { apiUrl: 'https://api.example.com', region: 'eu-west-1', userPoolId: 'eu-west-1_Abc123', userPoolClientId: 'client' };
  expect(parseConfig(good)).toEqual({ ...good, authFlow: 'USER_SRP_AUTH' });
  expect(parseConfig({ ...good, cognitoEndpoint: 'http://127.0.0.1:9229', authFlow: 'USER_PASSWORD_AUTH' })).toMatchObject({ cognitoEndpoint: 'http://127.0.0.1:9229', authFlow: 'USER_PASSWORD_AUTH' });
  expect(() => parseConfig({ ...good, apiUrl: 'javascript:alert(1)' })).toThrow('config.json: "apiUrl" must be the API\'s http(s) URL');
  expect(() => parseConfig({ ...good, userPoolId: undefined })).toThrow('config.json: "userPoolId" is missing');
  expect(() => parseConfig({ ...good, authFlow: 'CUSTOM_AUTH' })).toThrow('config.json: "authFlow" must be USER_SRP_AUTH or USER_PASSWORD_AUTH');
  expect(() => parseConfig(null)).toThrow('config.json: "apiUrl" must be the API\'s http(s) URL');
});
