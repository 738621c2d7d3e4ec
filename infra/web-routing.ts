/**
 * The single-page app's routing rule, written once: a path whose last segment
 * has no file extension (`/`, `/events/42`, `/me/registrations`) is an app
 * route and gets `/index.html`; any other path (`/assets/app-3f2a1c.js`,
 * `/favicon.ico`, `/config.json`) is a file and is served as it is, so a
 * missing file stays a real 404.
 *
 * In AWS this is a CloudFront Function on viewer-request (cloudfront-js-2.0,
 * infra/constructs/web-site.ts); the local runtime runs the very same code
 * through `spaRewrite`. Why not CloudFront's custom_error_response 403/404 →
 * /index.html: it answers 200 with the app's page for a missing script or
 * stylesheet too, which hides broken deploys and caches the wrong body under
 * the asset's URL (CloudFront Developer Guide, "Generating custom error
 * responses"; "Write function code": viewer request events). CloudFront
 * Functions cost $0.10 per million invocations (CloudFront pricing).
 */

/** Source of the CloudFront Function (JavaScript runtime 2.0: ES5.1 plus selected ES6+ features). */
export const SPA_REWRITE_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  var last = request.uri.slice(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
`;

type Handler = (event: { request: { uri: string } }) => { uri: string };

let compiled: Handler | undefined;

/** The path the distribution serves for a request path: the CloudFront Function's own code, run here. */
export function spaRewrite(path: string): string {
  compiled ??= new Function(`${SPA_REWRITE_FUNCTION_CODE}\nreturn handler;`)() as Handler;
  return compiled({ request: { uri: path } }).uri;
}
