import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { settingDefaults } from './eddy.config';

/** The rows of the README's configuration table: the variables of a row and the defaults it names. */
function documentedDefaults(): { variables: string[]; defaults: string[] | 'none'; cell: string }[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(
    section.indexOf('| variable'),
    section.indexOf('\n\n', section.indexOf('| variable')),
  );
  return table
    .split('\n')
    .slice(2)
    .map((line) => {
      const [variableCell, , defaultCell] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      const variables = [...variableCell.matchAll(/`(EDDY_[A-Z_]+)`/g)].map((m) => m[1]);
      // `jwt` (`npm start` sets `dev`): the default is what comes before the parenthesis.
      const stated = defaultCell.split(' (')[0];
      const none = stated.startsWith('none') || stated.startsWith('required');
      const defaults = none ? 'none' : [...stated.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
      return { variables, defaults, cell: defaultCell };
    });
}

describe("the README's configuration table", () => {
  // Rows of the Camunda 8 SDK's own settings (ZEEBE_*, CAMUNDA_*) are the SDK's to default.
  const rows = documentedDefaults().filter((row) => row.variables.length > 0);
  const defaults: Record<string, unknown> = settingDefaults();
  const asText = (value: unknown): string | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);

  it('lists every setting of the configuration', () => {
    expect(rows.flatMap((row) => row.variables).sort()).toEqual(Object.keys(defaults).sort());
  });

  it.each(rows.map((row) => [row.variables.join(' / '), row] as const))(
    'names the default of %s that the code applies',
    (_, row) => {
      const applied = row.variables.map((variable) => asText(defaults[variable]));
      if (row.defaults === 'none') expect(applied.every((value) => value === undefined)).toBe(true);
      else expect(applied).toEqual(row.defaults);
    },
  );
});
