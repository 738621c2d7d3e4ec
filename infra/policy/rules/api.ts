/** HTTP API and log rules. */
import { blocks, num } from '../model';
import type { Rule } from '../types';
import { fail, pass, show } from './util';

export const apiRules: Rule[] = [
  {
    id: 'SPS-API-1',
    title: 'API stages write access logs',
    mapsTo: ['CKV_AWS_76', 'AwsSolutions-APIG1', 'Serverless-APIGWAccessLogging'],
    rationale: 'Access logs are the only record of who called the API, with status and latency.',
    fix: 'Set access_log_settings { destination_arn = <log group arn>, format = <JSON format> } on the stage.',
    resourceTypes: ['aws_apigatewayv2_stage'],
    check: ({ model }) =>
      model.ofType('aws_apigatewayv2_stage').map((s) => {
        const settings = blocks(s.values.access_log_settings)[0];
        if (!settings?.destination_arn || !settings.format) return fail(s, `access_log_settings=${show(s.values.access_log_settings)}`);
        const group = model.targets(settings.destination_arn, 'aws_cloudwatch_log_group')[0];
        return pass(s, `access logs to ${group?.address ?? settings.destination_arn}`);
      }),
  },
  {
    id: 'SPS-API-2',
    title: 'API stages set default route throttling',
    mapsTo: ['Serverless-APIGWDefaultThrottling'],
    rationale: 'Without stage limits one client can spend the account-wide API Gateway and Lambda capacity.',
    fix: 'Set default_route_settings { throttling_rate_limit, throttling_burst_limit } (api.* in the config).',
    resourceTypes: ['aws_apigatewayv2_stage'],
    check: ({ model, config }) =>
      model.ofType('aws_apigatewayv2_stage').map((s) => {
        const d = blocks(s.values.default_route_settings)[0];
        const rate = num(d?.throttling_rate_limit);
        const burst = num(d?.throttling_burst_limit);
        if (!rate || !burst) return fail(s, `default_route_settings=${show(s.values.default_route_settings)}`);
        if (config && (rate !== config.api.throttlingRateLimit || burst !== config.api.throttlingBurstLimit)) {
          return fail(s, `throttling ${rate}/${burst}, config asks ${config.api.throttlingRateLimit}/${config.api.throttlingBurstLimit}`);
        }
        return pass(s, `throttling rate ${rate}/s, burst ${burst}`);
      }),
  },
  {
    id: 'SPS-API-3',
    title: 'API routes have authorization (public routes are suppressed with a reason)',
    mapsTo: ['CKV_AWS_309', 'AwsSolutions-APIG4'],
    rationale: 'An unauthenticated route is public: that must be a decision written down, never a default.',
    fix: 'Set authorization_type (JWT, AWS_IAM or CUSTOM) and authorizer_id, or suppress the route with the reason it is public.',
    resourceTypes: ['aws_apigatewayv2_route'],
    check: ({ model }) =>
      model.ofType('aws_apigatewayv2_route').map((r) => {
        const type = r.values.authorization_type;
        return type === undefined || type === 'NONE' ? fail(r, `${r.values.route_key}: no authorization`) : pass(r, `${r.values.route_key}: ${type}`);
      }),
  },
  {
    id: 'SPS-API-4',
    title: 'The HTTP API has no CORS configuration (CORS is answered by the functions)',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale:
      'With cors_configuration set, API Gateway answers preflight itself and replaces the CORS headers of every function answer, so the per-route origins and methods of the middy chain stop applying (API Gateway HTTP API CORS docs).',
    fix: "Remove cors_configuration; allowed origins are config corsOrigins plus the web front end's origin, applied by the cors middleware.",
    resourceTypes: ['aws_apigatewayv2_api'],
    check: ({ model }) =>
      model.ofType('aws_apigatewayv2_api').map((a) =>
        blocks(a.values.cors_configuration).length > 0 ? fail(a, `cors_configuration=${show(a.values.cors_configuration)}`) : pass(a, 'no cors_configuration'),
      ),
  },
];

export const logRules: Rule[] = [
  {
    id: 'SPS-LOGS-1',
    title: 'Every log group has a retention period',
    mapsTo: ['CKV_AWS_66', 'Serverless-CloudWatchLogGroupRetentionPeriod'],
    rationale: 'Log groups default to keeping data forever (cost and data-retention obligations).',
    fix: 'Set retention_in_days (logRetentionDays in the config).',
    resourceTypes: ['aws_cloudwatch_log_group'],
    check: ({ model, config }) =>
      model.ofType('aws_cloudwatch_log_group').map((g) => {
        const days = num(g.values.retention_in_days);
        if (!days) return fail(g, `retention_in_days=${show(g.values.retention_in_days)}`);
        // CloudFront's access logs (a log delivery destination) may keep their own retention (web.logRetentionDays).
        const delivered = model.referrers(g, 'aws_cloudwatch_log_delivery_destination', 'delivery_destination_configuration').length > 0;
        const expected = config && (delivered ? (config.web?.logRetentionDays ?? config.logRetentionDays) : config.logRetentionDays);
        if (expected && days !== expected) return fail(g, `retention ${days} days, config asks ${expected}`);
        return pass(g, `${days} days`);
      }),
  },
];
