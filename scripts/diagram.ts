/**
 * `npm run diagram [-- --stack dev] [--out docs/architecture.svg] [--dot file]`:
 * draws the architecture from the synthesized stack (never by hand): the VPC
 * and its subnets, the HTTP API and its routes, each function, the RDS Proxy,
 * Aurora, DynamoDB, the VPC endpoints, the security-group chain, and which
 * function reaches which data (read from the functions' IAM grants). Renders
 * DOT to SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { routes, tasks } from '../functions/registry';
import { loadConfig } from '../infra/config';
import { policiesOfRole } from '../infra/policy/iam-documents';
import { blocks, expressionsIn, StackModel, type TfResource } from '../infra/policy/model';
import { whyPublic } from '../infra/policy/rules/util';
import { REPO_ROOT } from '../infra/paths';
import { loadSynthesizedStacks, synthApp } from '../infra/policy/synth';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const id = (r: TfResource | string) => `"${esc(typeof r === 'string' ? r : r.address)}"`;

/** IPv4 `cidrsubnet(prefix, newbits, netnum)`, as Terraform computes it. */
export function cidrsubnet(prefix: string, newbits: number, netnum: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(prefix);
  if (!m) return undefined;
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = Number(m[5]) + newbits;
  if (bits > 32) return undefined;
  const addr = base + netnum * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join('.')}/${bits}`;
}

/** The CIDR of a subnet: literal, or `cidrsubnet(<vpc cidr>, n, i)` evaluated. */
function subnetCidr(model: StackModel, subnet: TfResource): string {
  const raw = subnet.values.cidr_block;
  if (typeof raw === 'string' && !raw.includes('${')) return raw;
  const expr = typeof raw === 'string' ? expressionsIn(raw)[0] ?? '' : '';
  const m = /^cidrsubnet\(([^,]+),\s*(\d+),\s*(\d+)\)$/.exec(expr.trim());
  if (!m) return 'computed';
  const prefix = model.resolveString(`\${${m[1].trim()}}`);
  return (prefix && cidrsubnet(prefix, Number(m[2]), Number(m[3]))) ?? 'computed';
}

const WRITE = /:(Put|Update|Delete|BatchWrite|TransactWrite)/;

/** Builds the DOT source for one synthesized stack. */
export function stackToDot(model: StackModel, options: { title: string; project: string; env: string }): string {
  const out: string[] = [];
  const prefix = `${options.project}-${options.env}-`;
  const fnName = (fn: TfResource) => {
    const name = model.resolveString(fn.values.function_name) ?? fn.name;
    return name.startsWith(prefix) ? name.slice(prefix.length) : name;
  };
  const functions = model.ofType('aws_lambda_function');
  const sgName = (sg: TfResource) => model.resolveString(sg.values.name) ?? sg.name;

  out.push('digraph architecture {');
  out.push(`  graph [rankdir=LR, fontname="Helvetica", fontsize=12, label="${esc(options.title)}", labelloc=t, newrank=true, nodesep=0.25, ranksep=0.9, compound=true, concentrate=true];`);
  out.push('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff"];');
  out.push('  edge [fontname="Helvetica", fontsize=9, color="#555555"];');
  out.push('  clients [label="Clients\\n(browsers, CORS origins)", shape=oval, fillcolor="#eeeeee"];');

  // HTTP API and its routes (route -> integration -> function).
  const routesByFn = new Map<string, string[]>();
  for (const route of model.ofType('aws_apigatewayv2_route')) {
    const integration = model.targets(route.values.target, 'aws_apigatewayv2_integration')[0];
    const fn = integration && model.targets(integration.values.integration_uri, 'aws_lambda_function')[0];
    if (!fn) continue;
    routesByFn.set(fn.address, [...(routesByFn.get(fn.address) ?? []), String(route.values.route_key)]);
  }
  for (const api of model.ofType('aws_apigatewayv2_api')) {
    const stage = model.ofType('aws_apigatewayv2_stage')[0];
    const throttle = blocks(stage?.values.default_route_settings)[0];
    const label = [`HTTP API ${model.resolveString(api.values.name) ?? ''}`, `${api.values.protocol_type ?? 'HTTP'}, payload 2.0, stage ${stage?.values.name ?? ''}`];
    if (throttle) label.push(`throttling ${throttle.throttling_rate_limit}/s, burst ${throttle.throttling_burst_limit}`);
    label.push(`${model.ofType('aws_apigatewayv2_route').length} routes, access logs`);
    out.push(`  ${id(api)} [label="${esc(label.join('\n'))}", fillcolor="#fde9d9"];`);
    out.push(`  clients -> ${id(api)} [label="HTTPS"];`);
  }

  // The VPC, its subnets, and what runs in them.
  for (const vpc of model.ofType('aws_vpc')) {
    out.push(`  subgraph "cluster_${esc(vpc.address)}" {`);
    out.push(`    label="VPC ${esc(String(vpc.values.cidr_block))} (flow logs, default SG denies all)"; style="rounded"; color="#2e75b6"; fontcolor="#2e75b6";`);
    const subnets = model.ofType('aws_subnet').filter((s) => model.refs(s.values.vpc_id).some((r) => r.address === vpc.address));
    const publicSubnets = subnets.filter((s) => whyPublic(model, s));
    const privateSubnets = subnets.filter((s) => !whyPublic(model, s));
    const natRoute = model.ofType('aws_route').some((r) => r.values.nat_gateway_id !== undefined);
    if (publicSubnets.length) {
      out.push('    subgraph cluster_public { label="Public subnets (NAT gateways only)"; style="dashed"; color="#9dc3e6";');
      for (const s of publicSubnets) out.push(`      ${id(s)} [label="${esc(`public ${s.values.availability_zone}\n${subnetCidr(model, s)}`)}", shape=component, fillcolor="#deebf7"];`);
      out.push('    }');
    }
    const privateLabel = natRoute ? 'Private subnets (egress through NAT only)' : 'Private isolated subnets (no route to the internet)';
    out.push(`    subgraph cluster_private { label="${privateLabel}"; style="rounded,dashed"; color="#9dc3e6";`);
    for (const s of privateSubnets) {
      out.push(`      ${id(s)} [label="${esc(`private ${s.values.availability_zone}\n${subnetCidr(model, s)}`)}", shape=component, fillcolor="#deebf7"];`);
    }

    out.push('    subgraph cluster_functions { label="Lambda functions (private subnets, functions SG)"; style="rounded,filled"; fillcolor="#f3f9ec"; color="#70ad47";');
    for (const fn of functions) {
      const r = routesByFn.get(fn.address) ?? [];
      const invokedOnApply = model.referrers(fn, 'aws_lambda_invocation', 'function_name').length > 0;
      const lines = [`λ ${fnName(fn)}`, ...r.filter((k) => !k.startsWith('OPTIONS ')).sort(), ...(invokedOnApply ? ['(invoked on apply)'] : [])];
      const extra = `${fn.values.memory_size ?? '?'} MB, ${fn.values.timeout ?? '?'} s`;
      out.push(`      ${id(fn)} [label="${esc([...lines, extra].join('\n'))}", fillcolor="#e2f0d9"];`);
    }
    out.push('    }');

    for (const proxy of model.ofType('aws_db_proxy')) {
      out.push(`    ${id(proxy)} [label="${esc(`RDS Proxy ${model.resolveString(proxy.values.name) ?? ''}\nTLS required, IAM auth REQUIRED`)}", shape=box3d, fillcolor="#fff2cc"];`);
    }
    for (const cluster of model.ofType('aws_rds_cluster')) {
      const instances = model.ofType('aws_rds_cluster_instance').length;
      const scaling = blocks(cluster.values.serverlessv2_scaling_configuration)[0];
      const label = [
        `Aurora ${cluster.values.engine} ${cluster.values.engine_version ?? ''}`,
        `Serverless v2 ${scaling?.min_capacity ?? '?'}-${scaling?.max_capacity ?? '?'} ACU, ${instances} instance(s)`,
        'KMS-encrypted, IAM auth, rds.force_ssl=1',
        cluster.values.enable_http_endpoint === true ? 'Data API on' : 'Data API off',
      ];
      out.push(`    ${id(cluster)} [label="${esc(label.join('\n'))}", shape=cylinder, fillcolor="#fff2cc"];`);
    }
    const endpointNode = (ep: TfResource) => {
      const service = String(ep.values.service_name ?? '').split('.').pop();
      return `${id(ep)} [label="${esc(`${service} endpoint\n(${ep.values.vpc_endpoint_type ?? 'Gateway'})`)}", shape=cds, fillcolor="#ededed"];`;
    };
    const endpoints = model.ofType('aws_vpc_endpoint');
    for (const ep of endpoints.filter((e) => e.values.vpc_endpoint_type === 'Interface')) out.push(`    ${endpointNode(ep)}`);
    out.push('    }');
    for (const ep of endpoints.filter((e) => e.values.vpc_endpoint_type !== 'Interface')) out.push(`    ${endpointNode(ep)}`);

    // Security-group chain.
    out.push('    subgraph cluster_sgs { label="Security-group chain"; style="dotted"; color="#c00000"; fontcolor="#c00000";');
    for (const sg of model.ofType('aws_security_group')) {
      const members = model.resources.filter(
        (r) =>
          r.type !== 'aws_security_group' &&
          !r.type.startsWith('aws_vpc_security_group') &&
          [r.values.security_group_ids, r.values.vpc_security_group_ids, blocks(r.values.vpc_config)[0]?.security_group_ids].some((v) =>
            model.refs(v).some((ref) => ref.address === sg.address),
          ),
      );
      const kinds = [...new Set(members.map((m) => m.type.replace(/^aws_/, '')))].map((k) => `${members.filter((m) => m.type === `aws_${k}`).length} ${k}`);
      out.push(`      ${id(sg)} [label="${esc(`SG ${sgName(sg)}\n${kinds.join(', ') || 'no members'}`)}", shape=note, fillcolor="#fbe5e5"];`);
    }
    out.push('    }');
    out.push('  }');
  }
  for (const rule of model.ofType('aws_vpc_security_group_ingress_rule')) {
    const from = model.targets(rule.values.referenced_security_group_id, 'aws_security_group')[0];
    const to = model.targets(rule.values.security_group_id, 'aws_security_group')[0];
    if (from && to) out.push(`  ${id(from)} -> ${id(to)} [label="${esc(`${rule.values.ip_protocol}/${rule.values.from_port}`)}", color="#c00000", fontcolor="#c00000"];`);
  }
  for (const rule of model.ofType('aws_vpc_security_group_egress_rule').filter((r) => r.values.prefix_list_id !== undefined)) {
    const from = model.targets(rule.values.security_group_id, 'aws_security_group')[0];
    const ep = model.targets(rule.values.prefix_list_id, 'aws_vpc_endpoint')[0];
    if (from && ep) out.push(`  ${id(from)} -> ${id(ep)} [label="${esc(`${rule.values.ip_protocol}/${rule.values.from_port} prefix list`)}", color="#c00000", fontcolor="#c00000", style=dashed];`);
  }

  // Regional services outside the VPC.
  for (const table of model.ofType('aws_dynamodb_table')) {
    out.push(`  ${id(table)} [label="${esc(`DynamoDB ${model.resolveString(table.values.name) ?? ''}\non demand, PITR, KMS`)}", shape=cylinder, fillcolor="#dae3f3"];`);
    for (const ep of model.ofType('aws_vpc_endpoint').filter((e) => String(e.values.service_name).endsWith('.dynamodb'))) {
      out.push(`  ${id(ep)} -> ${id(table)} [style=dashed, arrowhead=none];`);
    }
  }

  // Edges: API -> functions (routes), functions -> data (from IAM grants), proxy -> Aurora.
  const api = model.ofType('aws_apigatewayv2_api')[0];
  for (const fn of functions) {
    if (api && routesByFn.has(fn.address)) out.push(`  ${id(api)} -> ${id(fn)};`);
    const role = model.targets(fn.values.role, 'aws_iam_role')[0];
    if (!role) continue;
    const reach = new Map<string, { target: TfResource; label: string; style?: string }>();
    for (const policy of policiesOfRole(model, role)) {
      if (!policy.document.ok) continue;
      for (const s of policy.document.statements.filter((x) => x.effect === 'Allow')) {
        for (const target of model.targets(s.resources)) {
          if (target.type === 'aws_dynamodb_table') {
            const prev = reach.get(target.address)?.label;
            const label = s.actions.some((a) => WRITE.test(a)) || prev === 'read-write' ? 'read-write' : 'read';
            reach.set(target.address, { target, label });
          } else if (target.type === 'aws_db_proxy' && s.actions.includes('rds-db:connect')) {
            reach.set(target.address, { target, label: 'SQL (IAM token, TLS)' });
          } else if (target.type === 'aws_rds_cluster' && s.actions.some((a) => a.startsWith('rds-data:'))) {
            const endpoint = model.ofType('aws_vpc_endpoint').find((e) => String(e.values.service_name).endsWith('.rds-data'));
            reach.set(target.address, { target: endpoint ?? target, label: 'SQL (Data API)', style: 'dashed' });
          }
        }
      }
    }
    for (const { target, label, style } of reach.values()) {
      out.push(`  ${id(fn)} -> ${id(target)} [label="${esc(label)}"${style ? `, style=${style}` : ''}, color="#548235"];`);
    }
  }
  for (const proxy of model.ofType('aws_db_proxy')) {
    for (const cluster of model.ofType('aws_rds_cluster')) out.push(`  ${id(proxy)} -> ${id(cluster)} [label="pooled, TLS"];`);
  }
  const dataApi = model.ofType('aws_vpc_endpoint').find((e) => String(e.values.service_name).endsWith('.rds-data'));
  if (dataApi) for (const cluster of model.ofType('aws_rds_cluster')) out.push(`  ${id(dataApi)} -> ${id(cluster)} [label="Data API", style=dashed];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** Renders DOT to SVG with Graphviz (WebAssembly, no system packages). */
export async function renderSvg(dot: string): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}

/** Synthesizes the app and returns the DOT and SVG of one environment. */
export async function diagramFor(env = 'dev', outdir?: string): Promise<{ dot: string; svg: string }> {
  const stacks = loadSynthesizedStacks(outdir ?? synthApp());
  const stack = stacks.find((s) => s.name === env);
  if (!stack) throw new Error(`no stack named "${env}"; choose from ${stacks.map((s) => s.name).join(', ')}`);
  const config = loadConfig(env);
  const model = new StackModel(env, stack.json);
  const fnCount = routes.length + tasks.length;
  const dot = stackToDot(model, {
    title: `${config.project} ${env}: ${config.region}, ${fnCount} functions (generated by npm run diagram from the synthesized stack)`,
    project: config.project,
    env,
  });
  return { dot, svg: await renderSvg(dot) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const env = value('--stack') ?? 'dev';
  const out = resolve(REPO_ROOT, value('--out') ?? 'docs/architecture.svg');
  const { dot, svg } = await diagramFor(env, value('--outdir'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, svg);
  const dotOut = value('--dot');
  if (dotOut) writeFileSync(resolve(REPO_ROOT, dotOut), dot);
  console.log(`diagram: ${env} -> ${out} (${(svg.length / 1024).toFixed(1)} KiB)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`diagram: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}

