/**
 * Sign-up and sign-in against the Cognito user pool, with AWS's own browser
 * library (amazon-cognito-identity-js: SRP as Cognito implements it, token
 * refresh). Loaded on demand (session.ts imports it dynamically), so a
 * visitor who only reads events and posts never downloads it.
 *
 * Tokens live in sessionStorage (this tab only, gone when it closes), never
 * in a cookie: the library writes them to the `Storage` given to the pool.
 */
import { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import type { AppConfig } from './config';

export interface Cognito {
  /** Creates the account; the pool emails a code to confirm it. */
  signUp(email: string, password: string): Promise<{ confirmed: boolean; destination?: string }>;
  confirm(email: string, code: string): Promise<void>;
  resendCode(email: string): Promise<void>;
  /** Signs in and returns the ID token. */
  signIn(email: string, password: string): Promise<string>;
  /** The current ID token, refreshed with the refresh token when it has expired; undefined when signed out. */
  currentIdToken(): Promise<string | undefined>;
  signOut(): Promise<void>;
}

export function createCognito(config: AppConfig, storage: Storage): Cognito {
  const pool = new CognitoUserPool({
    UserPoolId: config.userPoolId,
    ClientId: config.userPoolClientId,
    ...(config.cognitoEndpoint ? { endpoint: config.cognitoEndpoint } : {}),
    Storage: storage,
  });
  const user = (email: string) => new CognitoUser({ Username: email, Pool: pool, Storage: storage });

  return {
    signUp: (email, password) =>
      new Promise((resolve, reject) =>
        pool.signUp(email, password, [new CognitoUserAttribute({ Name: 'email', Value: email })], [], (err, result) =>
          err || !result
            ? reject(err)
            : resolve({ confirmed: result.userConfirmed, destination: (result.codeDeliveryDetails as { Destination?: string } | undefined)?.Destination }),
        ),
      ),

    confirm: (email, code) => new Promise((resolve, reject) => user(email).confirmRegistration(code, true, (err) => (err ? reject(err) : resolve()))),

    resendCode: (email) => new Promise((resolve, reject) => user(email).resendConfirmationCode((err) => (err ? reject(err) : resolve()))),

    signIn: (email, password) =>
      new Promise((resolve, reject) => {
        const u = user(email);
        u.setAuthenticationFlowType(config.authFlow);
        u.authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), {
          onSuccess: (session) => resolve(session.getIdToken().getJwtToken()),
          onFailure: reject,
          newPasswordRequired: () => reject(Object.assign(new Error('This account must set a new password first.'), { code: 'NewPasswordRequired' })),
          mfaRequired: () => reject(Object.assign(new Error('This account needs a second factor, which this app does not support yet.'), { code: 'MfaRequired' })),
          totpRequired: () => reject(Object.assign(new Error('This account needs a second factor, which this app does not support yet.'), { code: 'MfaRequired' })),
        });
      }),

    currentIdToken: () =>
      new Promise((resolve) => {
        const current = pool.getCurrentUser();
        if (!current) return resolve(undefined);
        current.getSession((err: Error | null, session: CognitoUserSession | null) =>
          resolve(err || !session?.isValid() ? undefined : session.getIdToken().getJwtToken()),
        );
      }),

    signOut: () =>
      new Promise((resolve) => {
        const current = pool.getCurrentUser();
        if (!current) return resolve();
        // Revokes the refresh token where the pool allows it, then forgets the tokens either way.
        // (The typings omit the callback's error argument.)
        const done = (err?: unknown) => {
          if (err) current.signOut(); // no session to revoke: just forget the tokens
          resolve();
        };
        current.signOut(done as () => void);
      }),
  };
}
