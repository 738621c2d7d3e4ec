/** Every rule of the pack, in report order. */
import type { Rule } from '../types';
import { apiRules, logRules } from './api';
import { ciRules } from './ci';
import { cognitoRules } from './cognito';
import { auroraRules, dynamodbRules, kmsRules, proxyRules, secretsRules } from './data';
import { iamRules } from './iam';
import { endpointRules } from './endpoints';
import { lambdaRules } from './lambda';
import { messagingRules } from './messaging';
import { securityGroupRulesPack, vpcRules } from './network';
import { stateRules } from './state';
import { webRules } from './web';

export const allRules: readonly Rule[] = [
  ...lambdaRules,
  ...iamRules,
  ...auroraRules,
  ...proxyRules,
  ...dynamodbRules,
  ...securityGroupRulesPack,
  ...vpcRules,
  ...endpointRules,
  ...apiRules,
  ...cognitoRules,
  ...messagingRules,
  ...kmsRules,
  ...secretsRules,
  ...logRules,
  ...stateRules,
  ...webRules,
  ...ciRules,
];

export function ruleById(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
