import { ParallelGateway } from 'bpmn-elements';

type Behaviour = (activityDef: object, context: unknown) => unknown;

/**
 * Inclusive gateways as Camunda 8 runs them. Forking, bpmn-engine already takes every outgoing flow whose
 * condition holds, else the default flow, and fails the element (an incident) when there is neither. Joining,
 * bpmn-engine's own inclusive gateway goes on at the first arriving flow; the gateway is therefore run as
 * bpmn-engine runs a parallel join, which waits until each incoming flow is either taken or known never to
 * be (bpmn-engine discards the flows a fork did not take, and everything after them): it waits for the paths
 * that can still arrive. Its type stays `bpmn:InclusiveGateway`.
 */
export function extendInclusiveGatewayType(typeMapper: Record<string, unknown>): void {
  const parallel = ParallelGateway as unknown as Behaviour;
  // bpmn-elements calls the behaviour with `new`: a function (not an arrow) whose returned activity is used.
  typeMapper['bpmn:InclusiveGateway'] = function (activityDef: object, context: unknown) {
    return parallel(activityDef, context);
  };
}
