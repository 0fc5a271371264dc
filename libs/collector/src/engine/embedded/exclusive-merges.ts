import { SequenceFlow } from 'bpmn-elements';

interface Flow {
  id: string;
  targetId: string;
  take(content?: object): unknown;
  discard(content?: { discardSequence?: string[] }): unknown;
}
interface FlowContext {
  getActivityById(id: string): { type: string } | undefined;
  getInboundSequenceFlows(id: string): unknown[];
}

/** The incoming flows of each converging exclusive gateway discarded since a token last passed it. */
const discardedInto = new WeakMap<object, Set<string>>();

/**
 * Converging exclusive gateways as Camunda 8 runs them: a token on any incoming flow goes on, and a path that
 * is never taken does not stop the gateway. bpmn-engine discards the flows a fork did not take and everything
 * after them, and a parallel (or inclusive) join counts a discarded flow as arrived. Its exclusive gateway
 * passed on the discard of each incoming flow, although a token could still come on another: the join after
 * it then went on before that token (when the taken path waits), or, when the taken path had already arrived,
 * started a new round with the late discard and waited there for ever. A discard into a converging exclusive
 * gateway therefore ends at it (bpmn-engine's own stop for a discard loop), unless every incoming flow has
 * been discarded since a token last passed: then nothing can arrive, and the discard goes on.
 */
export function extendSequenceFlowType(typeMapper: Record<string, unknown>): void {
  const sequenceFlow = SequenceFlow as unknown as new (flowDef: object, context: FlowContext) => Flow;
  // bpmn-elements calls the behaviour with `new`: a function (not an arrow) whose returned flow is used.
  typeMapper['bpmn:SequenceFlow'] = function (flowDef: object, context: FlowContext) {
    const flow = new sequenceFlow(flowDef, context);
    const take = flow.take.bind(flow);
    const discard = flow.discard.bind(flow);
    const mergeOf = () => {
      const target = context.getActivityById(flow.targetId);
      const inbound = context.getInboundSequenceFlows(flow.targetId).length;
      return target?.type === 'bpmn:ExclusiveGateway' && inbound > 1 ? { target, inbound } : undefined;
    };
    flow.take = (content) => {
      const merge = mergeOf();
      if (merge) discardedInto.get(merge.target)?.clear();
      return take(content);
    };
    flow.discard = (content = {}) => {
      const merge = mergeOf();
      if (!merge) return discard(content);
      const discarded = discardedInto.get(merge.target) ?? new Set<string>();
      discardedInto.set(merge.target, discarded);
      discarded.add(flow.id);
      if (discarded.size >= merge.inbound) {
        discarded.clear();
        return discard(content);
      }
      return discard({ ...content, discardSequence: [...(content.discardSequence ?? []), flow.targetId] });
    };
    return flow;
  };
}
