/**
 * deploy/etcd: the three members' config files agree with each other (one initial-cluster, each
 * member in it at its own peer URL), use TLS everywhere with client certificates required, and
 * the coordinator config shown in the README is one the coordinator accepts, naming the members'
 * client URLs. The YAML is read by a small line parser: flat keys and one level of nesting, as
 * these files are written.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCoordinatorConfig } from '../src/coordinator-config.js';

const DIR = new URL('../../../deploy/etcd/', import.meta.url);
const MEMBERS = ['etcd-1', 'etcd-2', 'etcd-3'] as const;

type Yaml = Map<string, string | Map<string, string>>;

/** `key: value` lines, and `key:` followed by lines indented two spaces; comments dropped. */
function parseYaml(text: string, file: string): Yaml {
  const top: Yaml = new Map();
  let section: Map<string, string> | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw
      .replace(/\s+#.*$/, '')
      .replace(/^#.*$/, '')
      .trimEnd();
    if (line.trim() === '') return;
    const m = /^( *)([a-z0-9-]+):(?: (.*))?$/.exec(line);
    if (m === null) throw new Error(`${file}:${i + 1}: not "key: value": ${raw}`);
    const [, indent, key, value] = m as unknown as [string, string, string, string | undefined];
    if (indent === '') {
      if (top.has(key)) throw new Error(`${file}:${i + 1}: ${key} given twice`);
      if (value === undefined) {
        section = new Map();
        top.set(key, section);
      } else {
        section = null;
        top.set(key, unquote(value));
      }
    } else {
      if (indent !== '  ' || section === null || value === undefined) throw new Error(`${file}:${i + 1}: unexpected nesting: ${raw}`);
      section.set(key, unquote(value));
    }
  });
  return top;
}

const unquote = (v: string): string => v.replace(/^"(.*)"$/, '$1');

const members = MEMBERS.map((name) => {
  const file = `${name}.yaml`;
  return { name, file, yaml: parseYaml(readFileSync(new URL(file, DIR), 'utf8'), file) };
});

function scalar(yaml: Yaml, key: string): string {
  const v = yaml.get(key);
  if (typeof v !== 'string') throw new Error(`${key}: missing or not a plain value`);
  return v;
}

function section(yaml: Yaml, key: string): Map<string, string> {
  const v = yaml.get(key);
  if (!(v instanceof Map)) throw new Error(`${key}: missing or not a section`);
  return v;
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim());

/** `name=url,...` as a map. */
function cluster(v: string): Map<string, string> {
  return new Map(list(v).map((entry) => entry.split('=') as [string, string]));
}

describe('deploy/etcd example cluster', () => {
  it('has three members with their own names, one initial-cluster naming each at its peer URL', () => {
    expect(members.map((m) => scalar(m.yaml, 'name'))).toEqual([...MEMBERS]);
    const clusters = members.map((m) => scalar(m.yaml, 'initial-cluster'));
    expect(new Set(clusters).size).toBe(1);
    const initial = cluster(clusters[0] as string);
    expect([...initial.keys()]).toEqual([...MEMBERS]);
    for (const m of members) {
      expect(initial.get(m.name)).toBe(scalar(m.yaml, 'initial-advertise-peer-urls'));
      expect(list(scalar(m.yaml, 'listen-peer-urls'))).toContain(scalar(m.yaml, 'initial-advertise-peer-urls'));
      expect(list(scalar(m.yaml, 'listen-client-urls'))).toEqual(expect.arrayContaining(list(scalar(m.yaml, 'advertise-client-urls'))));
      expect(scalar(m.yaml, 'initial-cluster-state')).toBe('new');
    }
    expect(new Set(members.map((m) => scalar(m.yaml, 'initial-cluster-token'))).size).toBe(1);
  });

  it('uses https for every URL, and members differ only in name and addresses', () => {
    for (const m of members) {
      const urls = ['listen-client-urls', 'advertise-client-urls', 'listen-peer-urls', 'initial-advertise-peer-urls'].flatMap((k) => list(scalar(m.yaml, k)));
      urls.push(...cluster(scalar(m.yaml, 'initial-cluster')).values());
      for (const url of urls) expect([m.file, url]).toEqual([m.file, expect.stringMatching(/^https:\/\/[^/]+:\d+$/)]);
    }
    const text = (m: (typeof members)[number]): string => readFileSync(new URL(m.file, DIR), 'utf8');
    // initial-cluster is the same everywhere (checked above); the rest must differ only in N.
    const normalized = members.map((m, i) =>
      text(m)
        .replace(/^initial-cluster: .*$/m, '')
        .replaceAll(`etcd-${i + 1}`, 'etcd-N')
        .replaceAll(`10.0.0.1${i + 1}`, '10.0.0.1N')
        .replace(/member \d of 3/, 'member N of 3'),
    );
    const [first, ...rest] = normalized;
    for (const other of rest) expect(other).toBe(first);
  });

  it("requires client certificates on both ports, from separate CAs, with etcd's own TLS off", () => {
    for (const m of members) {
      const client = section(m.yaml, 'client-transport-security');
      const peer = section(m.yaml, 'peer-transport-security');
      for (const [name, tls] of [
        ['client', client],
        ['peer', peer],
      ] as const) {
        expect([m.file, name, tls.get('client-cert-auth'), tls.get('auto-tls')]).toEqual([m.file, name, 'true', 'false']);
        for (const key of ['cert-file', 'key-file', 'trusted-ca-file']) expect(tls.get(key)).toMatch(/^\/etc\/etcd\/pki\/[a-z-]+\.pem$/);
      }
      expect(client.get('trusted-ca-file')).not.toBe(peer.get('trusted-ca-file'));
      expect(client.get('cert-file')).not.toBe(peer.get('cert-file'));
    }
  });

  it("shows in the README a coordinator config the coordinator accepts, naming the members' client URLs", () => {
    const readme = readFileSync(fileURLToPath(new URL('README.md', DIR)), 'utf8');
    const json = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(json).toBeDefined();
    const config = parseCoordinatorConfig(JSON.parse(json as string), 'README');
    expect(config.etcd.endpoints).toEqual(members.map((m) => scalar(m.yaml, 'advertise-client-urls')));
    expect(config.etcd.tls).not.toBeNull();
    // The README installs every member file and every certificate the members name.
    for (const m of members) expect(readme).toContain(`\`${m.file}\``);
    const pki = members.flatMap((m) =>
      ['client-transport-security', 'peer-transport-security'].flatMap((name) => ['cert-file', 'key-file', 'trusted-ca-file'].map((key) => section(m.yaml, name).get(key) as string)),
    );
    for (const path of new Set(pki)) expect(readme).toContain(basename(path));
  });
});
