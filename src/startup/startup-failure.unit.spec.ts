import { BpmnDeploymentError } from '@eddy/collector';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, ConfigurationFileError, loadConfig } from '../config/eddy.config';
import { describeStartupFailure, logStartupFailure } from './startup-failure';

const config = loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_HTTP_HOST: '127.0.0.1', EDDY_DATA_DIR: '/var/eddy' });
const postgres = loadConfig({
  EDDY_AUTH_MODE: 'dev',
  EDDY_EVENT_STORE: 'postgres',
  EDDY_POSTGRES_URL: 'postgres://eddy:s3cret@db.example.test:5432/eddy',
});
const systemError = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);

describe('describeStartupFailure', () => {
  it('names every bad setting of a ConfigurationError, exit 78', () => {
    const failure = describeStartupFailure(
      new ConfigurationError([
        { variable: 'EDDY_HTTP_PORT', message: 'must be a whole number' },
        { variable: 'EDDY_JWT_SECRET', message: 'is required' },
      ]),
    );
    expect(failure).toEqual({
      code: 'CONFIG-001',
      message: 'EDDY_HTTP_PORT must be a whole number; EDDY_JWT_SECRET is required',
      setting: 'EDDY_HTTP_PORT, EDDY_JWT_SECRET',
      exitCode: 78,
    });
  });

  it('names the file of a bad settings file', () => {
    const failure = describeStartupFailure(new ConfigurationFileError('/b/eddy-collector.json', 'bad JSON'));
    expect(failure).toMatchObject({ code: 'CONFIG-002', file: '/b/eddy-collector.json', exitCode: 78 });
  });

  it('names the BPMN file that failed to deploy, in its folder', () => {
    const failure = describeStartupFailure(
      new BpmnDeploymentError('x.bpmn', new Error('no process')),
      config,
    );
    expect(failure).toMatchObject({
      code: 'COLLECTOR-030',
      file: resolve(config.bpmnDir, 'x.bpmn'),
      setting: 'EDDY_BPMN_DIR',
    });
  });

  it('names the port setting when the address is in use, the host when it does not exist', () => {
    const inUse = systemError('listen EADDRINUSE: address already in use', {
      code: 'EADDRINUSE',
      syscall: 'listen',
    });
    expect(describeStartupFailure(inUse, config)).toMatchObject({
      code: 'MAIN-002',
      setting: 'EDDY_HTTP_PORT',
      message: expect.stringContaining('127.0.0.1:4000'),
    });
    const noHost = systemError('listen EADDRNOTAVAIL', { code: 'EADDRNOTAVAIL', syscall: 'listen' });
    expect(describeStartupFailure(noHost, config).setting).toBe('EDDY_HTTP_HOST');
  });

  it('names the file of a file system error and the folder setting it lies in', () => {
    const failure = describeStartupFailure(
      systemError("EACCES: permission denied, open '/var/eddy/engine.sqlite'", {
        code: 'EACCES',
        path: '/var/eddy/engine.sqlite',
      }),
      config,
    );
    expect(failure).toMatchObject({
      code: 'MAIN-003',
      file: '/var/eddy/engine.sqlite',
      setting: 'EDDY_DATA_DIR',
    });
  });

  it('names the PostgreSQL URL, without its password, when the store cannot be reached or refuses', () => {
    for (const error of [
      systemError('connect ECONNREFUSED 10.0.0.1:5432', { code: 'ECONNREFUSED', syscall: 'connect' }),
      systemError('password authentication failed for user "eddy"', { code: '28P01', severity: 'FATAL' }),
    ]) {
      const failure = describeStartupFailure(error, postgres);
      expect(failure).toMatchObject({ code: 'MAIN-004', setting: 'EDDY_POSTGRES_URL' });
      expect(failure.message).toContain('db.example.test:5432/eddy');
      expect(failure.message).not.toContain('s3cret');
    }
  });

  it('names the data folder when an embedded SQLite store fails', () => {
    const error = Object.assign(new Error('unable to open database file'), {
      name: 'SqliteError',
      code: 'SQLITE_CANTOPEN',
    });
    expect(describeStartupFailure(error, config)).toMatchObject({
      code: 'MAIN-004',
      setting: 'EDDY_DATA_DIR',
      file: '/var/eddy',
      message: expect.stringContaining('SQLITE_CANTOPEN'),
    });
  });

  it("keeps a part's own code and the setting its message names", () => {
    const failure = describeStartupFailure(
      new Error('COLLECTOR-031 EDDY_BPMN_DIR: /x is not a folder'),
      config,
    );
    expect(failure).toEqual({
      code: 'COLLECTOR-031',
      message: 'EDDY_BPMN_DIR: /x is not a folder',
      setting: 'EDDY_BPMN_DIR',
      exitCode: 1,
    });
  });

  it('answers anything else as MAIN-001', () => {
    expect(describeStartupFailure('boom')).toEqual({ code: 'MAIN-001', message: 'boom', exitCode: 1 });
  });
});

describe('logStartupFailure', () => {
  it('writes one fatal JSON line with the code, the fault and, for the unexpected, the stack', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'warn' }, sink);
    expect(logStartupFailure(logger, new ConfigurationError([{ variable: 'EDDY_X', message: 'bad' }]))).toBe(
      78,
    );
    expect(logStartupFailure(logger, new Error('boom'))).toBe(1);
    const [config, unexpected] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(config).toMatchObject({
      level: 60,
      setting: 'EDDY_X',
      msg: 'CONFIG-001 start-up failed: EDDY_X bad',
    });
    expect(config.stack).toBeUndefined();
    expect(unexpected).toMatchObject({ level: 60, msg: 'MAIN-001 start-up failed: boom' });
    expect(unexpected.stack).toEqual(expect.stringContaining('Error: boom'));
  });
});
