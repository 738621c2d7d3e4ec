/**
 * Table alone: on demand, point-in-time recovery, encrypted with our key,
 * protected from deletion, keys and indexes from the definition.
 */
import { Testing } from 'cdktf';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { TableDefinition } from '../../../functions/tables';
import { keyAttributes, Table, type TableProps } from '../../../infra/constructs/tables';
import { onlyResource, refTo, synthScope, testKey } from '../helpers';

Testing.setupJest();

const minimal: TableDefinition = { partitionKey: { name: 'id', type: 'S' } };

const full: TableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'N' },
  globalIndexes: [
    { name: 'by-owner', partitionKey: { name: 'owner', type: 'S' }, sortKey: { name: 'sk', type: 'N' } },
    { name: 'by-tag', partitionKey: { name: 'tag', type: 'S' }, projection: 'KEYS_ONLY' },
  ],
  ttlAttribute: 'expiresAt',
};

function synthTable(props: Partial<TableProps> = {}) {
  return synthScope((scope) => {
    new Table(scope, 'table', { tableName: 'sps-test-items', definition: minimal, kmsKey: testKey(scope), ...props });
  });
}

describe('Table', () => {
  test('is named as given and billed on demand', () => {
    expect(synthTable().synth).toHaveResourceWithProperties(DynamodbTable, { name: 'sps-test-items', billing_mode: 'PAY_PER_REQUEST' });
  });

  test('turns point-in-time recovery on by default', () => {
    expect(synthTable().synth).toHaveResourceWithProperties(DynamodbTable, { point_in_time_recovery: { enabled: true } });
  });

  test('GIVEN pointInTimeRecovery false WHEN synthesized THEN recovery is off', () => {
    expect(synthTable({ pointInTimeRecovery: false }).synth).toHaveResourceWithProperties(DynamodbTable, { point_in_time_recovery: { enabled: false } });
  });

  test('encrypts the table with the given key', () => {
    const { synth, json } = synthTable();
    expect(synth).toHaveResourceWithProperties(DynamodbTable, {
      server_side_encryption: { enabled: true, kms_key_arn: refTo(json, 'aws_kms_key', 'arn') },
    });
  });

  test('refuses DeleteTable by default', () => {
    expect(synthTable().synth).toHaveResourceWithProperties(DynamodbTable, { deletion_protection_enabled: true });
  });

  test('GIVEN deletionProtection false WHEN synthesized THEN the table can be deleted', () => {
    expect(synthTable({ deletionProtection: false }).synth).toHaveResourceWithProperties(DynamodbTable, { deletion_protection_enabled: false });
  });

  test('has no stream by default', () => {
    const table = onlyResource(synthTable().json, 'aws_dynamodb_table');
    expect(table.stream_enabled).toBe(false);
    expect(table.stream_view_type).toBeUndefined();
  });

  test('GIVEN stream NEW_AND_OLD_IMAGES WHEN synthesized THEN the table streams both images', () => {
    expect(synthTable({ stream: 'NEW_AND_OLD_IMAGES' }).synth).toHaveResourceWithProperties(DynamodbTable, {
      stream_enabled: true,
      stream_view_type: 'NEW_AND_OLD_IMAGES',
    });
  });

  test('has no TTL when the definition names no TTL attribute', () => {
    expect(onlyResource(synthTable().json, 'aws_dynamodb_table').ttl).toBeUndefined();
  });

  test('GIVEN a ttlAttribute WHEN synthesized THEN TTL is on for that attribute', () => {
    expect(synthTable({ definition: full }).synth).toHaveResourceWithProperties(DynamodbTable, { ttl: { attribute_name: 'expiresAt', enabled: true } });
  });

  test('is keyed by the definition\'s partition and sort key', () => {
    expect(synthTable({ definition: full }).synth).toHaveResourceWithProperties(DynamodbTable, { hash_key: 'pk', range_key: 'sk' });
  });

  test('declares every key attribute of the table and its indexes once, with its type', () => {
    expect(synthTable({ definition: full }).synth).toHaveResourceWithProperties(DynamodbTable, {
      attribute: [
        { name: 'pk', type: 'S' },
        { name: 'sk', type: 'N' },
        { name: 'owner', type: 'S' },
        { name: 'tag', type: 'S' },
      ],
    });
    expect(keyAttributes(minimal)).toEqual([{ name: 'id', type: 'S' }]);
  });

  test('creates each global index of the definition, projecting ALL by default', () => {
    expect(synthTable({ definition: full }).synth).toHaveResourceWithProperties(DynamodbTable, {
      global_secondary_index: [
        { name: 'by-owner', hash_key: 'owner', range_key: 'sk', projection_type: 'ALL' },
        { name: 'by-tag', hash_key: 'tag', projection_type: 'KEYS_ONLY' },
      ],
    });
  });
});
