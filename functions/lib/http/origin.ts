/**
 * What an allowed CORS origin looks like (scheme, host, optional port; no path,
 * no trailing slash: browsers send exactly that in `Origin`, RFC 6454), defined
 * once for the config, the dev CLI and the cors middleware.
 */
export const ORIGIN_PATTERN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

export const ORIGIN_FIX = 'use an origin such as "https://app.example.com" (no path, no trailing slash)';
