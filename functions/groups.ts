/** The example app's user groups (declared in each environment's `auth.groups`, infra/config/environments.ts). */
export const ORGANIZERS = 'organizers';
