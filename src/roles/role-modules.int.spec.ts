import { describe, expect, it } from '@jest/globals';
import { ENGINE_REQUESTS } from '@eddy/collector/engine/engine.port';
import { COMMAND_DISPATCHER } from '@eddy/contracts';
import { ConfigurationError, loadConfig } from '../config/eddy.config';
import { composedRoles, composeRoles, projectsFromEventTopic, ROLE_MODULES } from './role-modules';

const shared = {
  EDDY_AUTH_MODE: 'dev',
  EDDY_EVENT_STORE: 'postgres',
  EDDY_POSTGRES_URL: 'postgres://eddy@postgres.invalid/eddy',
  EDDY_VIEW_STORE: 'mongodb',
  EDDY_MONGODB_URL: 'mongodb://mongodb.invalid/',
};

/** The names of the modules composed for these roles (dynamic modules by their class). */
function moduleNames(roles: string): string[] {
  return composeRoles(loadConfig({ ...shared, EDDY_ROLES: roles })).map((m) =>
    typeof m === 'function' ? m.name : 'module' in m ? m.module.name : 'forward reference',
  );
}

describe('the composition of the roles', () => {
  it('gives each role its own modules and nothing of the others', () => {
    expect(moduleNames('core')).toEqual(['CoreModule', 'CommandApiModule']);
    expect(moduleNames('projector')).toEqual(['ProjectionsModule']);
    expect(moduleNames('collector,core')).toEqual(['CoreModule', 'CommandApiModule', 'CollectorModule']);
    expect(moduleNames('api')).toEqual([
      'ProjectionsModule',
      'TasklistModule',
      'TasklistPageModule',
      'AdminModule',
      'CoreUnavailableModule',
    ]);
    expect(moduleNames('core,api')).not.toContain('CoreUnavailableModule');
    expect(moduleNames('collector,core,api')).toContain('MessagesApiModule');
  });

  it('hands the commands and engine requests of an api process to the other roles over Kafka, when there is Kafka', () => {
    const kafka = { ...shared, EDDY_KAFKA_BROKERS: 'kafka:9092' };
    const api = composeRoles(loadConfig({ ...kafka, EDDY_ROLES: 'api' })).map((m) =>
      typeof m === 'function' ? m.name : 'module' in m ? m.module.name : 'forward reference',
    );
    expect(api).toContain('KafkaRequestsModule');
    expect(api).toContain('MessagesApiModule');
    expect(api).not.toContain('CoreUnavailableModule');
    // With the core in process, only the engine's requests travel.
    const withCore = composeRoles(loadConfig({ ...kafka, EDDY_ROLES: 'core,api' }));
    const requests = withCore.find(
      (m) => typeof m === 'object' && 'module' in m && m.module.name === 'KafkaRequestsModule',
    );
    const exported = requests && 'exports' in requests ? requests.exports : [];
    expect(exported).toContain(ENGINE_REQUESTS);
    expect(exported).not.toContain(COMMAND_DISPATCHER);
    // The collector answers them.
    const collector = composeRoles(loadConfig({ ...kafka, EDDY_ROLES: 'collector,core' })).map((m) =>
      typeof m === 'function' ? m.name : 'module' in m ? m.module.name : 'forward reference',
    );
    expect(collector).toContain('EngineRequestsModule');
    expect(moduleNames('collector,core')).not.toContain('EngineRequestsModule');
  });

  it('composes the single node without the relay when there is no Kafka, and with it when there is', () => {
    const config = loadConfig({ EDDY_AUTH_MODE: 'dev' });
    expect(composedRoles(config)).toEqual(['collector', 'core', 'projector', 'api']);
    expect(composeRoles(config).length).toBeGreaterThan(5);
    const withKafka = loadConfig({ ...shared, EDDY_KAFKA_BROKERS: 'kafka:9092' });
    expect(composedRoles(withKafka)).toEqual(['collector', 'core', 'relay', 'projector', 'api']);
  });

  it('refuses a relay without Kafka or without a PostgreSQL event store, instead of pretending to run it', () => {
    const withoutKafka = () => composeRoles(loadConfig({ ...shared, EDDY_ROLES: 'relay' }));
    expect(withoutKafka).toThrow(ConfigurationError);
    expect(withoutKafka).toThrow(/EDDY_ROLES relay: the relay needs Kafka: set EDDY_KAFKA_BROKERS/);
    expect(ROLE_MODULES.relay).not.toBeNull();
  });

  it('projects from the event topic in the distributed layout with Kafka and MongoDB views', () => {
    const distributed = { ...shared, EDDY_ROLES: 'projector' };
    expect(projectsFromEventTopic(loadConfig({ ...distributed, EDDY_KAFKA_BROKERS: 'kafka:9092' }))).toBe(
      true,
    );
    expect(projectsFromEventTopic(loadConfig(distributed))).toBe(false);
    expect(
      projectsFromEventTopic(loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_BROKERS: 'kafka:9092' })),
    ).toBe(false);
  });

  it('refuses a collector without the core it hands its commands to', () => {
    expect(() => composeRoles(loadConfig({ ...shared, EDDY_ROLES: 'collector,api' }))).toThrow(
      /EDDY_ROLES collector,api: the collector hands the engine's changes to the core in its own process; add core/,
    );
  });
});
