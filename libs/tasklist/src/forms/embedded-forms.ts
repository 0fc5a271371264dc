/** A form embedded in a BPMN model (`zeebe:userTaskForm`), before it is checked to be a Camunda Form. */
export interface EmbeddedForm {
  /** What a user task's `zeebe:formDefinition formKey` names: `camunda-forms:bpmn:<id>`. */
  key: string;
  /** The element's text: the form's JSON. */
  json: string;
}

const USER_TASK_FORM = /<([\w.-]+:)?userTaskForm\b[^>]*\bid="([^"]+)"[^>]*>([\s\S]*?)<\/\1?userTaskForm>/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The embedded forms of a BPMN document: Camunda 8's `zeebe:userTaskForm` elements of the process, whose
 * text is a form's JSON (escaped as XML text or in a CDATA section).
 */
export function readEmbeddedForms(xml: string): EmbeddedForm[] {
  return [...xml.matchAll(USER_TASK_FORM)].map((match) => ({
    key: `camunda-forms:bpmn:${match[2]}`,
    json: xmlText(match[3]),
  }));
}

function xmlText(raw: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(raw);
  if (cdata) return cdata[1];
  return raw.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}
