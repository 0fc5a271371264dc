import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { describeStartupFailure } from '../startup/startup-failure';
import { COLLECTOR_SETTINGS_FILE, readCollectorSettings } from './collector-settings';
import { ConfigurationFileError } from './eddy.config';

describe('readCollectorSettings', () => {
  const dirs: string[] = [];
  const folderWith = (content: string | undefined): string => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-collector-settings-'));
    dirs.push(dir);
    if (content !== undefined) writeFileSync(join(dir, COLLECTOR_SETTINGS_FILE), content);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads nothing when the folder has no settings file', () => {
    expect(readCollectorSettings(folderWith(undefined), 'eddy')).toEqual({});
  });

  it('reads the filters and correlations of a good file', () => {
    const settings = {
      variableFilters: [{ processDefinitionKey: 'leave-request', exclude: ['salary'] }],
      correlations: [
        { processDefinitionKey: 'invoice-approval', variable: 'invoiceNumber', entryType: 'invoice' },
      ],
    };
    expect(readCollectorSettings(folderWith(JSON.stringify(settings)), 'eddy')).toEqual(settings);
  });

  it('reads the shipped bpmn/eddy-collector.json', () => {
    expect(readCollectorSettings(join(__dirname, '../../bpmn'), 'eddy').correlations?.length).toBeGreaterThan(
      0,
    );
  });

  it.each([
    ['not JSON', '{ variableFilters: [', /JSON/],
    ['a list instead of an object', '[]', /an object with variableFilters/],
    ['an unknown key', '{"correlation": []}', /unknown key correlation/],
    [
      'filters that are not a list',
      '{"variableFilters": {"processDefinitionKey": "p"}}',
      /variableFilters: a list/,
    ],
    ['a filter that is no object', '{"variableFilters": [null]}', /variableFilters\[0\]: an object/],
    [
      'a filter without its process',
      '{"variableFilters": [{"exclude": ["x"]}]}',
      /variableFilters\[0\]\.processDefinitionKey/,
    ],
    [
      'a filter whose include is no list',
      '{"variableFilters": [{"processDefinitionKey": "p", "include": "a"}]}',
      /include/,
    ],
    [
      'a correlation without its variable',
      '{"correlations": [{"processDefinitionKey": "p", "entryType": "e"}]}',
      /correlations\[0\]\.variable/,
    ],
  ])('stops start-up with CONFIG-002 for %s', (_, content, problem) => {
    const dir = folderWith(content);
    const error = (() => {
      try {
        readCollectorSettings(dir, 'eddy');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationFileError);
    expect(describeStartupFailure(error).code).toBe('CONFIG-002');
    expect((error as Error).message).toContain(COLLECTOR_SETTINGS_FILE);
    expect((error as Error).message).toMatch(problem);
  });
});
