import { type CollectorOptions, validateCollectorOptions } from '@eddy/collector';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationFileError } from './eddy.config';

/** The file in the BPMN folder that says which variables of which process reach tasks and data entries. */
export const COLLECTOR_SETTINGS_FILE = 'eddy-collector.json';

type CollectorSettings = Pick<CollectorOptions, 'variableFilters' | 'correlations'>;
const KEYS: readonly (keyof CollectorSettings)[] = ['variableFilters', 'correlations'];

/**
 * Reads `eddy-collector.json` of the BPMN folder, when there is one. A file that is not JSON, or whose
 * shape is not that of the collector's settings (an unknown key, a filter without a process, a list
 * that is none ...), throws {@link ConfigurationFileError} naming the file and the field: start-up
 * stops with `CONFIG-002`.
 */
export function readCollectorSettings(bpmnDir: string, applicationName: string): CollectorSettings {
  const file = join(bpmnDir, COLLECTOR_SETTINGS_FILE);
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('an object with variableFilters and/or correlations is required');
    }
    const unknown = Object.keys(parsed).filter((key) => !(KEYS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      throw new Error(`unknown key ${unknown.join(', ')} (known: ${KEYS.join(', ')})`);
    }
    const { variableFilters, correlations } = parsed as CollectorSettings;
    validateCollectorOptions({ applicationName, variableFilters, correlations });
    return { variableFilters, correlations };
  } catch (error) {
    throw new ConfigurationFileError(file, (error as Error).message);
  }
}
