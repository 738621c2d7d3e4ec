// The local Cognito user pool service: cognito-local (https://github.com/jagregory/cognito-local)
// in a child process of the runtime (scripts/local/cognito/index.ts), its
// state in the data dir it is given. Plain JavaScript so it starts without a
// loader. It assembles cognito-local's own parts as its `createDefaultServer`
// does, with three changes: the data dir, the listening address, and the
// issuer (the URL it really listens on, so a token's `iss` leads to its keys).
// The runtime went away (even SIGKILLed): the IPC channel closes, and so do we.
import { createRequire } from 'node:module';

// Its own dependencies (pino, aws-sdk) resolve from cognito-local's folder.
const require = createRequire(createRequire(import.meta.url).resolve('cognito-local'));
const { dataDir, port, logLevel } = JSON.parse(process.argv[2]);

process.on('disconnect', () => process.exit(0));

// cognito-local uses aws-sdk v2 for Lambda triggers and KMS, neither used here.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
const pino = require('pino');
const AWS = require('aws-sdk');
const { createServer } = require('cognito-local/lib/server/server');
const { Router } = require('cognito-local/lib/server/Router');
const { DefaultConfig } = require('cognito-local/lib/server/config');
const services = require('cognito-local/lib/services');
const { CognitoServiceFactoryImpl } = require('cognito-local/lib/services/cognitoService');
const { CryptoService } = require('cognito-local/lib/services/crypto');
const { StormDBDataStoreFactory } = require('cognito-local/lib/services/dataStore/stormDb');
const { MessageDeliveryService } = require('cognito-local/lib/services/messageDelivery/messageDelivery');
const { otp } = require('cognito-local/lib/services/otp');
const { JwtTokenGenerator } = require('cognito-local/lib/services/tokenGenerator');
const { UserPoolServiceFactoryImpl } = require('cognito-local/lib/services/userPoolService');

const logger = pino({ level: logLevel ?? 'error' }, pino.destination(2));
const ctx = { logger };

/**
 * Delivers a code (sign-up confirmation, password reset) to the runtime, which
 * prints it: locally no email goes out. Implements cognito-local's message
 * sender (its ConsoleMessageSender boxes the code into a log line the runtime
 * keeps at level error).
 */
class RuntimeMessageSender {
  sendEmail(_ctx, user, destination, { __code }) {
    process.send?.({ type: 'code', username: user.Username, destination, code: __code });
    return Promise.resolve();
  }
  sendSms(ctx, user, destination, message) {
    return this.sendEmail(ctx, user, destination, message);
  }
}

/**
 * Cognito marks the email verified when the user confirms their sign-up with
 * the code sent to it ("Confirming user accounts", Cognito developer guide:
 * confirming by a code sent by email verifies the email address);
 * cognito-local's ConfirmSignUp only confirms the account. Done here through
 * its own AdminUpdateUserAttributes.
 */
function verifiesEmailOnConfirm(route, cognito) {
  return (target) => {
    const handler = route(target);
    if (target !== 'ConfirmSignUp' || !handler) return handler;
    return async (context, req) => {
      const res = await handler(context, req);
      const userPool = await cognito.getUserPoolForClientId(context, req.ClientId);
      const user = await userPool.getUserByUsername(context, req.Username);
      const email = user?.Attributes.find((a) => a.Name === 'email')?.Value;
      if (!email) return res;
      // cognito-local accepts email_verified only next to the email itself.
      await route('AdminUpdateUserAttributes')(context, {
        UserPoolId: userPool.options.Id,
        Username: req.Username,
        UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
      });
      return res;
    };
  };
}

async function listen(requestedPort) {
  const config = {
    ...DefaultConfig,
    TokenConfig: { IssuerDomain: '' },
    ServerConfig: { ...DefaultConfig.ServerConfig, hostname: '127.0.0.1', port: requestedPort, development: false },
  };
  const clock = new services.DateClock();
  const dataStoreFactory = new StormDBDataStoreFactory(dataDir);
  const cognito = await new CognitoServiceFactoryImpl(dataDir, dataStoreFactory, new UserPoolServiceFactoryImpl(clock, dataStoreFactory)).create(ctx, config.UserPoolDefaults);
  const triggers = new services.TriggersService(clock, cognito, new services.LambdaService(config.TriggerFunctions, new AWS.Lambda(config.LambdaClient)), new CryptoService(config.KMSConfig));
  const all = {
    clock,
    cognito,
    config,
    messages: new services.MessagesService(triggers, new MessageDeliveryService(new RuntimeMessageSender())),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  };
  const server = await createServer(verifiesEmailOnConfirm(Router(all), cognito), logger, config.ServerConfig, all).start();
  // Read at each sign-in, so it can be set once the port is known.
  config.TokenConfig.IssuerDomain = `http://127.0.0.1:${server.address().port}`;
  return server;
}

let server;
try {
  server = await listen(port);
} catch (err) {
  // The port of the last run is taken: any free port (tokens of the last run then no longer verify).
  if (err.code !== 'EADDRINUSE' || port === 0) throw err;
  server = await listen(0);
}
process.send({ type: 'ready', port: server.address().port });
