import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { resolveTasklistOptions } from '../tasklist.options';
import { FormCatalog, formProblem } from './form-catalog';

const catalogOf = (formsDir: string) => new FormCatalog(resolveTasklistOptions({ formsDir }));

describe('FormCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-forms-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every form that a model in bpmn/ names, each a Camunda Form', () => {
    const bpmnDir = resolve(__dirname, '../../../../bpmn');
    const catalog = catalogOf(bpmnDir);
    const keys = new Set<string>();
    for (const file of readdirSync(bpmnDir).filter((f) => f.endsWith('.bpmn'))) {
      const xml = readFileSync(join(bpmnDir, file), 'utf8');
      for (const m of xml.matchAll(/<zeebe:formDefinition (?:formKey|externalReference|formId)="([^"]+)"/g)) {
        keys.add(m[1]);
      }
    }
    expect(keys.size).toBeGreaterThanOrEqual(10);
    for (const key of keys) {
      const form = catalog.get(key);
      expect({ key, found: form !== null }).toEqual({ key, found: true });
      expect(formProblem(form!.schema)).toBeNull();
    }
  });

  it('finds a form by its path and by its id, and leaves out files that are not forms', () => {
    mkdirSync(join(dir, 'forms'));
    writeFileSync(join(dir, 'forms', 'review.form'), JSON.stringify({ id: 'review-form', components: [] }));
    writeFileSync(join(dir, 'forms', 'broken.form'), '{ not json');
    writeFileSync(join(dir, 'forms', 'list.form'), JSON.stringify({ components: 'none' }));
    const catalog = catalogOf(dir);
    expect(catalog.get('forms/review')?.schema).toEqual({ id: 'review-form', components: [] });
    expect(catalog.get('review-form')?.key).toBe('review-form');
    expect(catalog.get('forms/broken')).toBeNull();
    expect(catalog.get('forms/list')).toBeNull();
    expect(catalog.size).toBe(1);
  });

  it("finds the forms embedded in the folder's models by their camunda-forms:bpmn key, and leaves out one that is not JSON", () => {
    const embedded = join(dir, 'embedded');
    mkdirSync(embedded);
    const form = JSON.stringify({ components: [{ type: 'textfield', key: 'note', label: 'Note <short>' }] });
    const escaped = form
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
    writeFileSync(
      join(embedded, 'model.bpmn'),
      `<bpmn:definitions xmlns:bpmn="b" xmlns:zeebe="z"><bpmn:process id="p"><bpmn:extensionElements>
        <zeebe:userTaskForm id="UserTaskForm_1">${escaped}</zeebe:userTaskForm>
        <zeebe:userTaskForm id="UserTaskForm_2"><![CDATA[${form}]]></zeebe:userTaskForm>
        <zeebe:userTaskForm id="UserTaskForm_3">{ not json</zeebe:userTaskForm>
      </bpmn:extensionElements></bpmn:process></bpmn:definitions>`,
    );
    const catalog = catalogOf(embedded);
    expect(catalog.get('camunda-forms:bpmn:UserTaskForm_1')?.schema).toEqual(JSON.parse(form));
    expect(catalog.get('camunda-forms:bpmn:UserTaskForm_2')?.schema).toEqual(JSON.parse(form));
    expect(catalog.get('camunda-forms:bpmn:UserTaskForm_3')).toBeNull();
    expect(catalog.size).toBe(2);
  });

  it('has no forms without a folder', () => {
    expect(new FormCatalog(resolveTasklistOptions({})).get('forms/review')).toBeNull();
    expect(catalogOf(join(dir, 'missing')).size).toBe(0);
  });
});
