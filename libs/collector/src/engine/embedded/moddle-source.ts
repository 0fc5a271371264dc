// bpmn-moddle ships no types; only what is used here is declared.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BpmnModdle = require('bpmn-moddle') as new (packages: Record<string, object>) => {
  fromXML(xml: string): Promise<unknown>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const zeebeModdle = require('zeebe-bpmn-moddle/resources/zeebe.json') as object;

/** Options that make bpmn-moddle (and bpmn-engine) read the zeebe dialect. */
export const ZEEBE_MODDLE_OPTIONS = { zeebe: zeebeModdle };

interface RootElement {
  $type: string;
  id?: string;
  isExecutable?: boolean;
}

/** bpmn-moddle's result of reading an XML document, as bpmn-engine takes it (`moddleContext`). */
export interface ModdleContext {
  rootElement: { rootElements?: RootElement[] };
  warnings: { message: string }[];
  [key: string]: unknown;
}

/**
 * Reads a BPMN document in the zeebe dialect and keeps what Camunda 8 runs of it: the executable processes
 * (only the one named, when `processId` is given) and the root elements they refer to (messages, errors, signals, escalations). Collaborations go, with their
 * pools and message flows, which Camunda 8 takes for documentation: a message flow to a pool without a process
 * made bpmn-engine's serializer fail, and one to a non-executable pool would make bpmn-engine run that pool.
 */
export async function readZeebeModdle(xml: string, processId?: string): Promise<ModdleContext> {
  const moddle = new BpmnModdle(ZEEBE_MODDLE_OPTIONS);
  const context = (await moddle.fromXML(xml.trim())) as unknown as ModdleContext;
  const definitions = context.rootElement;
  if (definitions?.rootElements) {
    definitions.rootElements = definitions.rootElements.filter(
      (element) =>
        element.$type !== 'bpmn:Collaboration' &&
        (element.$type !== 'bpmn:Process' ||
          (element.isExecutable === true && (processId === undefined || element.id === processId))),
    );
  }
  return context;
}

/** A reference bpmn-moddle could not resolve (an `activityRef` naming no element ...), from its warnings. */
export interface UnresolvedReference {
  /** The id of the element that holds the reference. */
  element: string;
  /** The attribute, such as `bpmn:activityRef`. */
  property: string;
  /** The id it names. */
  value: string;
}

/** The references of a read document that name no element (bpmn-moddle drops them, with a warning). */
export function unresolvedReferences(context: ModdleContext): UnresolvedReference[] {
  return context.warnings.flatMap((w) => {
    const { element, property, value } = w as {
      element?: { id?: string };
      property?: string;
      value?: string;
    };
    return element?.id && property && typeof value === 'string'
      ? [{ element: element.id, property, value }]
      : [];
  });
}

/**
 * The ids of the executable processes of a BPMN document, in document order. A resource may hold several, as
 * in Camunda 8: each is deployed as a process of its own, compiled from the document without the others.
 */
export async function executableProcessIds(xml: string): Promise<string[]> {
  const context = await readZeebeModdle(xml);
  return (context.rootElement?.rootElements ?? [])
    .filter((element) => element.$type === 'bpmn:Process')
    .map((element) => element.id as string);
}
