import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';
import { readEmbeddedForms, type EmbeddedForm } from './embedded-forms';

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
 * The forms embedded in the folder's models (`zeebe:userTaskForm`) are found by `camunda-forms:bpmn:<id>`.
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

  /** Forms read (files and forms embedded in models). */
  get size(): number {
    return this.files;
  }

  /** A form embedded in a model (`zeebe:userTaskForm`), found by its `camunda-forms:bpmn:<id>` key. */
  private addEmbedded(file: string, { key, json }: EmbeddedForm): void {
    let schema: unknown;
    try {
      schema = JSON.parse(json);
    } catch (error) {
      this.logger.warn(
        `TASKLIST-201 form ${key} in ${file} is not JSON, left out: ${(error as Error).message}`,
      );
      return;
    }
    const problem = formProblem(schema);
    if (problem) {
      this.logger.warn(`TASKLIST-201 form ${key} in ${file} is not a Camunda Form, left out: ${problem}`);
      return;
    }
    if (this.forms.has(key)) this.logger.warn(`TASKLIST-202 form key ${key} is taken twice; ${file} wins`);
    this.files++;
    this.forms.set(key, { key, schema: schema as Record<string, unknown> });
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
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.bpmn'))
      .sort()) {
      for (const embedded of readEmbeddedForms(readFileSync(join(dir, file), 'utf8'))) {
        this.addEmbedded(file, embedded);
      }
    }
    this.logger.log(`TASKLIST-200 ${this.size} forms from ${dir}`);
  }
}
