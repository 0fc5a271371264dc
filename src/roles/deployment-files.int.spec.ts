import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { settingDefaults, unknownSettings } from '../config/eddy.config';
import { compositionProblem } from './role-modules';
import { parseRoles, ROLES, sharedStoreProblem, type ProcessRoles } from './roles';

/**
 * The image, compose and Kubernetes files cannot be run here (no container engine, no cluster), so
 * this reads them as the engine would and checks what Eddy makes of them: every `EDDY_*` variable
 * they set is a setting, every `EDDY_ROLES` is valid and runs on stores its processes share.
 */
const root = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** One Eddy process a file describes: a compose service of the image, or a Kubernetes Deployment. */
interface EddyProcess {
  where: string;
  env: Record<string, string>;
  /** Started by default (`docker compose up`, `kubectl apply -k k8s/`). */
  started: boolean;
}

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The settings of the image itself (its `ENV` lines). */
function imageEnv(): Record<string, string> {
  const dockerfile = read('docker/Dockerfile').replace(/\\\n/g, ' ');
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of stage.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[name] = value;
  }
  return env;
}

function composeFile(file: string): { services: Record<string, Yaml>; processes: EddyProcess[] } {
  const compose = parse(read(file), { merge: true }) as Yaml;
  const services = compose.services as Record<string, Yaml>;
  const processes = Object.entries(services)
    .filter(([, service]) => service.image === 'eddy:latest')
    .map(([name, service]) => {
      const environment = (service.environment ?? {}) as Record<string, string> | string[];
      const env = Array.isArray(environment)
        ? Object.fromEntries(environment.map((item) => item.split(/=(.*)/s).slice(0, 2)))
        : Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
      return { where: `${file} ${name}`, env: { ...imageEnv(), ...env }, started: !service.profiles };
    });
  return { services, processes };
}

const k8sFiles = readdirSync(join(root, 'k8s')).filter((f) => f.endsWith('.yaml'));
const k8sDocuments = k8sFiles.flatMap((file) =>
  parseAllDocuments(read(`k8s/${file}`)).map((doc) => {
    expect(doc.errors).toEqual([]);
    return { file, doc: doc.toJS() as Yaml };
  }),
);
const ofKind = (kind: string) => k8sDocuments.filter((d) => d.doc.kind === kind);
const kustomization = ofKind('Kustomization')[0].doc;
const configMaps = Object.fromEntries(ofKind('ConfigMap').map(({ doc }) => [doc.metadata.name, doc.data]));

function k8sProcesses(): (EddyProcess & { deployment: Yaml })[] {
  return ofKind('Deployment').map(({ file, doc }) => {
    const container = doc.spec.template.spec.containers[0] as Yaml;
    const fromMaps = (container.envFrom ?? []).map((source: Yaml) => {
      const data = configMaps[source.configMapRef.name];
      expect(data).toBeDefined();
      return data as Record<string, string>;
    });
    const own = Object.fromEntries(
      (container.env as Yaml[]).map((e) => [e.name, e.value ?? `<${e.valueFrom?.secretKeyRef?.key}>`]),
    );
    return {
      where: `k8s/${file} ${doc.metadata.name}`,
      env: { ...imageEnv(), ...Object.assign({}, ...fromMaps), ...own },
      started: (kustomization.resources as string[]).includes(file),
      deployment: doc,
    };
  });
}

const distributed = composeFile('docker/compose.yaml');
const singleNode = composeFile('docker/compose.single-node.yaml');
const allProcesses = [...distributed.processes, ...singleNode.processes, ...k8sProcesses()];

function rolesOf(process: EddyProcess): ProcessRoles {
  const parsed = parseRoles(process.env.EDDY_ROLES);
  if (!parsed.ok) throw new Error(`${process.where}: EDDY_ROLES ${parsed.problem}`);
  return parsed.roles;
}

describe('the deployment files', () => {
  it('set only settings of the configuration', () => {
    const named = new Set([
      ...allProcesses.flatMap((p) => Object.keys(p.env)),
      ...Object.values(configMaps).flatMap((data) => Object.keys(data as object)),
      ...Object.keys(imageEnv()),
    ]);
    const eddy = [...named].filter((name) => name.startsWith('EDDY_'));
    expect(eddy.length).toBeGreaterThan(8);
    expect(unknownSettings(Object.fromEntries(eddy.map((name) => [name, 'x'])))).toEqual([]);
    // The compose files' own variables (passwords) are not EDDY_ ones, so Eddy never sees them as settings.
    for (const file of ['docker/compose.yaml', 'docker/compose.single-node.yaml']) {
      const interpolated = [...read(file).matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
      expect(unknownSettings(Object.fromEntries(interpolated.map((name) => [name, 'x'])))).toEqual([]);
    }
  });

  it.each(allProcesses.map((p) => [p.where, p] as const))(
    '%s: valid roles on stores its processes share',
    (_, process) => {
      const roles = rolesOf(process);
      const defaults = settingDefaults();
      expect(
        sharedStoreProblem(
          roles,
          process.env.EDDY_EVENT_STORE ?? String(defaults.EDDY_EVENT_STORE),
          process.env.EDDY_VIEW_STORE ?? String(defaults.EDDY_VIEW_STORE),
        ),
      ).toBeNull();
      // Every process the files start can be composed by this build, on the settings they give it.
      expect(process.started).toBe(true);
      expect(compositionProblem(roles)).toBeNull();
      // The relay's own needs (the composition checks them on the loaded settings at start).
      if (!roles.singleNode && roles.roles.includes('relay')) {
        expect(process.env).toMatchObject({
          EDDY_EVENT_STORE: 'postgres',
          EDDY_KAFKA_BROKERS: expect.any(String),
        });
      }
    },
  );

  it('compose the distributed layout: the servers, every role, two API replicas', () => {
    expect(Object.keys(distributed.services)).toEqual(expect.arrayContaining(['postgres', 'kafka', 'mongo']));
    const covered = new Set(distributed.processes.flatMap((p) => rolesOf(p).roles));
    expect([...covered].sort()).toEqual([...ROLES].sort());
    const api = distributed.processes.filter((p) => rolesOf(p).roles.includes('api'));
    expect(api).toHaveLength(1);
    expect(distributed.services.api.deploy.replicas).toBe(2);
    expect(distributed.processes.every((p) => !rolesOf(p).singleNode)).toBe(true);
    expect(distributed.services.collector.volumes).toEqual([`collectordata:${imageEnv().EDDY_DATA_DIR}`]);
  });

  it('compose the single node: every role in one process, its data in a volume', () => {
    expect(singleNode.processes).toHaveLength(1);
    expect(rolesOf(singleNode.processes[0]).singleNode).toBe(true);
    expect(singleNode.services.eddy.volumes).toEqual([`eddydata:${imageEnv().EDDY_DATA_DIR}`]);
  });

  it('give every role a Kubernetes Deployment with probes, resource requests and secrets by reference', () => {
    const processes = k8sProcesses();
    expect(new Set(processes.flatMap((p) => rolesOf(p).roles))).toEqual(new Set(ROLES));
    for (const { deployment } of processes) {
      const container = deployment.spec.template.spec.containers[0] as Yaml;
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.resources.requests).toEqual({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
      for (const secret of [
        'EDDY_POSTGRES_URL',
        'EDDY_MONGODB_URL',
        'EDDY_JWT_JWKS_URL',
        'EDDY_JWT_SECRET',
      ]) {
        const entry = (container.env as Yaml[]).find((e) => e.name === secret);
        if (entry) expect(entry.valueFrom?.secretKeyRef).toBeDefined();
      }
    }
    for (const data of Object.values(configMaps)) {
      expect(Object.keys(data as object)).not.toEqual(expect.arrayContaining(['EDDY_POSTGRES_URL']));
    }
    for (const file of kustomization.resources as string[]) expect(k8sFiles).toContain(file);
  });

  it('keep the API available through disruptions, and the collector state in a persistent volume', () => {
    const processes = k8sProcesses();
    const api = processes.find((p) => rolesOf(p).roles.includes('api'))!.deployment;
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    const budgets = ofKind('PodDisruptionBudget').map((d) => d.doc);
    expect(budgets.map((b) => b.spec.selector.matchLabels)).toContainEqual(api.spec.template.metadata.labels);

    const collector = processes.find((p) => rolesOf(p).roles.includes('collector'))!;
    const pod = collector.deployment.spec.template.spec as Yaml;
    const dataMount = (pod.containers[0].volumeMounts as Yaml[]).find(
      (m) => m.mountPath === collector.env.EDDY_DATA_DIR,
    );
    const claim = (pod.volumes as Yaml[]).find((v) => v.name === dataMount?.name)?.persistentVolumeClaim
      ?.claimName;
    expect(ofKind('PersistentVolumeClaim').map((d) => d.doc.metadata.name)).toContain(claim);
    expect(collector.deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('give the collector and the api the BPMN models and every form from ConfigMaps', () => {
    const forms = readdirSync(join(root, 'bpmn/forms')).sort();
    for (const process of k8sProcesses().filter((p) => /collector|api/.test(p.env.EDDY_ROLES))) {
      const pod = process.deployment.spec.template.spec as Yaml;
      const mount = (pod.containers[0].volumeMounts as Yaml[]).find(
        (m) => m.mountPath === process.env.EDDY_BPMN_DIR,
      );
      const sources = (pod.volumes as Yaml[]).find((v) => v.name === mount?.name)?.projected
        ?.sources as Yaml[];
      expect(sources.map((s) => s.configMap.name)).toEqual(['eddy-bpmn', 'eddy-forms']);
      const items = sources[1].configMap.items as Yaml[];
      expect(items.map((i) => i.key).sort()).toEqual(forms);
      expect(items.every((i) => i.path === `forms/${i.key}`)).toBe(true);
    }
  });

  it('build an image that runs as node with a writable data volume and a health check', () => {
    const dockerfile = read('docker/Dockerfile').replace(/\\\n/g, ' ');
    const dataDir = imageEnv().EDDY_DATA_DIR;
    expect(dockerfile).toMatch(new RegExp(`^RUN mkdir -p ${dataDir} && chown node:node ${dataDir}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`^VOLUME ${dataDir}$`, 'm'));
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/health\/live/m);
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data', '.env']));
  });
});
