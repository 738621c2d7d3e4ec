/**
 * "fails when …": every invalid registry entry or config combination is
 * refused at synth time with a message naming the field, the value and the fix.
 */
import { App } from 'cdktf';
import { ConfigError, parseEnvironmentConfig } from '../../infra/config';
import { PlatformStack } from '../../infra/stack';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { fixtureEnvironments } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTables, fixtureTasks } from '../fixtures/registry';
import { tempDir } from '../support/temp';
import { configFor, FixtureBundles } from './helpers';

const environments = fixtureEnvironments;

/** Builds a stack without bundles: validation runs first, so only a valid set gets as far as asking for them. */
function synthWith(
  routes: readonly RouteDefinition[],
  options: { tasks?: readonly TaskDefinition[]; config?: ReturnType<typeof configFor> } = {},
): () => void {
  return () =>
    new PlatformStack(new App({ outdir: tempDir('unused') }), 'dev', {
      config: options.config ?? configFor('dev'),
      routes,
      tasks: options.tasks ?? fixtureTasks,
      tables: fixtureTables,
      functionsDir: fixtureFunctionsDir,
      archives: new Map(),
      stateBackend: {},
    });
}

const base = fixtureRoutes[0]!;

function expectConfigError(fn: () => void, message: RegExp): void {
  expect(fn).toThrow(ConfigError);
  expect(fn).toThrow(message);
}

describe('registry validation at synth time', () => {
  test('fails when a function uses an unknown table', () => {
    expectConfigError(
      synthWith([{ ...base, data: { tables: { comments: 'read' } as never } }]),
      /routes\["posts-list"\]\.data\.tables: unknown table "comments"; use one of "posts" or define it in functions\/tables\.ts/,
    );
  });

  test('fails when a table access is neither read nor read-write', () => {
    expectConfigError(
      synthWith([{ ...base, data: { tables: { posts: 'write' as never } } }]),
      /data\.tables\.posts: use "read" or "read-write" \(received "write"\)/,
    );
  });

  test('fails when a route\'s public reason is shorter than 10 characters', () => {
    expectConfigError(
      synthWith([{ ...base, public: 'open' }]),
      /routes\["posts-list"\]\.public: give the reason the route needs no sign-in in at least 10 characters, or use auth instead \(received "open"\)/,
    );
  });

  test('fails when a route timeout exceeds API Gateway\'s limit', () => {
    expectConfigError(
      synthWith([{ ...base, timeoutSeconds: 60 }]),
      /routes\["posts-list"\]\.timeoutSeconds: use a whole number from 1 to 29 \(API Gateway's 30 s integration limit\) \(received 60\)/,
    );
  });

  test('fails when a task timeout exceeds Lambda\'s 15 minutes', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { tasks: [{ name: 'migrate', handler: 'plain.ts', timeoutSeconds: 901 }] }),
      /tasks\["migrate"\]\.timeoutSeconds: use a whole number from 1 to 900 .*\(received 901\)/,
    );
  });

  test('fails when memory is out of Lambda\'s range', () => {
    expectConfigError(synthWith([{ ...base, memoryMb: 64 }]), /routes\["posts-list"\]\.memoryMb: use a whole number of MB from 128 to 10240 \(received 64\)/);
  });

  test('fails when two functions share a name', () => {
    expectConfigError(
      synthWith([base, { ...base, method: 'POST' }]),
      /routes\["posts-list"\]\.name: "posts-list" is used twice; give every route and task a unique name/,
    );
  });

  test('fails when a method and path are declared twice', () => {
    expectConfigError(synthWith([base, { ...base, name: 'posts-list-2' }]), /route "GET \/posts" is declared twice/);
  });

  test('fails when a name is not kebab-case', () => {
    expectConfigError(synthWith([{ ...base, name: 'Posts_List' }]), /\.name: use kebab-case letters and digits, e\.g\. "posts-create" \(received "Posts_List"\)/);
  });

  test('fails when a path is malformed', () => {
    expectConfigError(synthWith([{ ...base, path: 'posts/' }]), /\.path: start with "\/" and do not end with "\/".*\(received "posts\/"\)/);
    expectConfigError(synthWith([{ ...base, path: '/posts/:id' }]), /\.path: segment ":id" is invalid/);
  });

  test('fails when a method is not supported', () => {
    expectConfigError(synthWith([{ ...base, method: 'OPTIONS' as never }]), /\.method: use one of GET, POST, PUT, PATCH, DELETE \(received "OPTIONS"\); OPTIONS routes are added/);
  });

  test('fails when a handler file does not exist', () => {
    expectConfigError(
      synthWith([{ ...base, handler: 'posts/missing.ts' }]),
      /routes\["posts-list"\]\.handler: file "functions\/posts\/missing\.ts" does not exist; create it \(exporting `handler`\) or fix the path/,
    );
  });

  test('fails when a handler path escapes functions/', () => {
    expectConfigError(synthWith([{ ...base, handler: '../../etc/passwd.ts' }]), /\.handler: "\.\.\/\.\.\/etc\/passwd\.ts" points outside functions\//);
  });

  test('fails when the Lambda name would exceed 64 characters', () => {
    expectConfigError(synthWith([{ ...base, name: 'a'.repeat(60) }]), /over AWS's 64; shorten the name/);
  });

  test('fails when a function uses SQL through the proxy while the proxy is off', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { config: configFor('dev', { proxy: { enabled: false } }) }),
      /proxy\.enabled: function "registrations-create" uses SQL through the RDS Proxy but the proxy is off \(received false\); set proxy\.enabled to true/,
    );
  });

  test('fails when a function uses the Data API while it is off', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { config: configFor('dev', { dataApi: { enabled: false } }) }),
      /dataApi\.enabled: function "events-get" uses SQL through the Data API but it is off \(received false\)/,
    );
  });

  test('fails when min ACU 0 (auto-pause) is combined with the RDS Proxy', () => {
    expectConfigError(
      () => parseEnvironmentConfig({ ...environments.dev, aurora: { ...environments.dev.aurora, minCapacity: 0 } }),
      /aurora\.minCapacity: 0 ACU \(auto-pause\) cannot be combined with the RDS Proxy.*set aurora\.minCapacity to 0\.5 or set proxy\.enabled to false/,
    );
  });

  test('fails when availability zones are outside the region', () => {
    expectConfigError(
      () => parseEnvironmentConfig({ ...environments.dev, availabilityZones: ['us-east-1a', 'us-east-1b'] }),
      /availabilityZones\[0\]: "us-east-1a" is not in region "eu-west-1"/,
    );
  });

  test('fails when CORS allows any origin', () => {
    expectConfigError(() => parseEnvironmentConfig({ ...environments.dev, corsOrigins: ['*'] }), /corsOrigins\[0\]: list exact origins .*"\*" is not allowed/);
  });

  test('fails when a function has no bundle, naming the function and the fix', () => {
    expect(synthWith(fixtureRoutes)).toThrow(
      /No bundle for function "posts-list" \(handler "plain\.ts"\): PlatformStackProps\.archives holds no bundle; bundle every route and task the stack gets .*, or leave archives unset and the stack bundles them/,
    );
  });

  test('lists every problem at once', () => {
    const fn = synthWith([{ ...base, memoryMb: 1, timeoutSeconds: 99 }]);
    expect(fn).toThrow(/memoryMb[\s\S]*timeoutSeconds|timeoutSeconds[\s\S]*memoryMb/);
  });
});

describe('SecureDefaults aspect: escape-hatch changes that drop a secure default fail synth', () => {
  let bundles: FixtureBundles;
  beforeAll(() => {
    bundles = new FixtureBundles();
  });

  function synthAfter(change: (stack: PlatformStack) => void): () => void {
    return () => {
      const app = new App({ outdir: tempDir('aspect'), stackTraces: false });
      const stack = new PlatformStack(app, 'dev', {
        config: configFor('dev'),
        routes: fixtureRoutes,
        tasks: fixtureTasks,
        tables: fixtureTables,
        functionsDir: fixtureFunctionsDir,
        archives: bundles.archives,
        stateBackend: {},
      });
      change(stack);
      app.synth();
    };
  }

  test('the untouched stack passes', () => {
    expect(synthAfter(() => undefined)).not.toThrow();
  });

  test('fails when a master password is set on the cluster', () => {
    expect(synthAfter((s) => (s.database.cluster.masterPassword = 'hunter2-hunter2'))).toThrow(
      /\[dev\/database\/cluster\] SPS-AURORA-9: master_password is set in the configuration\. Fix: Set manage_master_user_password = true/,
    );
  });

  test('fails when the proxy stops requiring TLS', () => {
    expect(synthAfter((s) => (s.proxy!.proxy.requireTls = false))).toThrow(/proxy\] SPS-PROXY-1: require_tls=false\. Fix: Set require_tls = true/);
  });

  test('fails when CORS is configured on the API', () => {
    expect(synthAfter((s) => s.api.api.putCorsConfiguration({ allowOrigins: ['*'] }))).toThrow(/SPS-API-4: cors_configuration=/);
  });

  test('sees raw overrides too: debug logging turned on through addOverride fails', () => {
    expect(synthAfter((s) => s.proxy!.proxy.addOverride('debug_logging', true))).toThrow(/proxy\] SPS-PROXY-3: debug_logging = true/);
  });

  test('fails when a function is taken out of the VPC', () => {
    expect(synthAfter((s) => s.functions['posts-list']!.lambda.resetVpcConfig())).toThrow(/SPS-LAMBDA-1: /);
  });

  test('fails when a topic or a queue loses our KMS key', () => {
    expect(synthAfter((s) => s.messaging!.topics.registrations!.resetKmsMasterKeyId())).toThrow(/topic-registrations\] SPS-SNS-1: kms_master_key_id=unset/);
    expect(synthAfter((s) => s.messaging!.queues.confirmations!.resetKmsMasterKeyId())).toThrow(/queue-confirmations\] SPS-SQS-1: kms_master_key_id=unset/);
  });

  test('fails when a queue loses its dead-letter queue', () => {
    expect(synthAfter((s) => s.messaging!.queues.confirmations!.resetRedrivePolicy())).toThrow(/queue-confirmations\] SPS-SQS-2: no dead-letter queue/);
  });
});
