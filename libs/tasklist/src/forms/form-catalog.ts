import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';

/** A Camunda Form as the tasklist serves it. */
export interface CamundaForm {
  key: string;
  schema: Record<string, unknown>;
}

/** Why a file is not a Camunda Form, or null when it is one. */
export function formProblem(schema: unknown): string | null {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'not a JSON object';
  const form = schema as Record<string, unknown>;
  if (!Array.isArray(form.components)) return 'components: must be a list';
  if (form.type !== undefined && form.type !== 'default')
    return `type: must be "default", got ${String(form.type)}`;
  return null;
}

/**
 * The Camunda Forms (`*.form` files, the JSON of @bpmn-io/form-js) of the forms folder, read once at
 * start. A form is found by its path below the folder without `.form` (`forms/invoice-review`,
 * what `zeebe:formDefinition externalReference` or `formKey` names) and by its `id` (what `formId` names).
 */
@Injectable()
export class FormCatalog {
  private readonly logger = new Logger('TasklistForms');
  private readonly forms = new Map<string, CamundaForm>();
  private files = 0;

  constructor(@Inject(TASKLIST_OPTIONS) options: TasklistOptions) {
    if (options.formsDir) this.load(options.formsDir);
  }

  get(key: string): CamundaForm | null {
    return this.forms.get(key) ?? null;
  }

  /** Form files read. */
  get size(): number {
    return this.files;
  }

  private load(dir: string): void {
    if (!existsSync(dir)) return;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.form'));
    for (const file of files.sort()) {
      let schema: unknown;
      try {
        schema = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      } catch (error) {
        this.logger.warn(`TASKLIST-201 form ${file} is not JSON, left out: ${(error as Error).message}`);
        continue;
      }
      const problem = formProblem(schema);
      if (problem) {
        this.logger.warn(`TASKLIST-201 form ${file} is not a Camunda Form, left out: ${problem}`);
        continue;
      }
      const path = file
        .split(sep)
        .join('/')
        .replace(/\.form$/, '');
      this.files++;
      const form: CamundaForm = { key: path, schema: schema as Record<string, unknown> };
      const id = (schema as { id?: unknown }).id;
      for (const key of typeof id === 'string' && id !== path ? [path, id] : [path]) {
        if (this.forms.has(key))
          this.logger.warn(`TASKLIST-202 form key ${key} is taken twice; ${file} wins`);
        this.forms.set(key, { ...form, key });
      }
    }
    this.logger.log(`TASKLIST-200 ${this.size} forms from ${dir}`);
  }
}
