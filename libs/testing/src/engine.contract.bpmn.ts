/**
 * BPMN fixtures of the engine port contract suite, in plain Camunda 8 (zeebe) dialect with no extension of
 * Eddy's, so that every adapter (the embedded engine, Camunda 8 and its REST stub) deploys the same files.
 */

const header = (id: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="${id}" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">`;

/**
 * `contract-review`: Review (assigned to `=submitter`, candidates `reviewers`, priority 70, form
 * `forms/review`), then Approve (candidate group `approvers`), then the end.
 */
export const REVIEW_PROCESS = {
  key: 'contract-review',
  resourceName: 'contract-review.bpmn',
  xml: `${header('ContractReview')}
  <bpmn:process id="contract-review" name="Contract review" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="ToReview" sourceRef="Start" targetRef="Review" />
    <bpmn:userTask id="Review" name="Review">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition assignee="=submitter" candidateGroups="reviewers" />
        <zeebe:priorityDefinition priority="70" />
        <zeebe:formDefinition externalReference="forms/review" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="ToApprove" sourceRef="Review" targetRef="Approve" />
    <bpmn:userTask id="Approve" name="Approve">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition candidateGroups="approvers" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="ToEnd" sourceRef="Approve" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>
</bpmn:definitions>
`,
};

/**
 * `contract-payment`: Prepare, then a message catch event waiting for `payment-received` correlated by
 * `=orderId`, then Ship, then the end.
 */
export const PAYMENT_PROCESS = {
  key: 'contract-payment',
  resourceName: 'contract-payment.bpmn',
  messageName: 'payment-received',
  xml: `${header('ContractPayment')}
  <bpmn:message id="PaymentReceivedMessage" name="payment-received">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="contract-payment" name="Contract payment" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="ToPrepare" sourceRef="Start" targetRef="Prepare" />
    <bpmn:userTask id="Prepare" name="Prepare">
      <bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="ToPaid" sourceRef="Prepare" targetRef="PaymentReceived" />
    <bpmn:intermediateCatchEvent id="PaymentReceived" name="Payment received">
      <bpmn:messageEventDefinition messageRef="PaymentReceivedMessage" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="ToShip" sourceRef="PaymentReceived" targetRef="Ship" />
    <bpmn:userTask id="Ship" name="Ship">
      <bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="ToEnd" sourceRef="Ship" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>
</bpmn:definitions>
`,
};

/** `contract-unrunnable`: a complex gateway `Decide`, which neither the embedded engine nor Camunda 8 runs. */
export const UNRUNNABLE_PROCESS = {
  key: 'contract-unrunnable',
  resourceName: 'contract-unrunnable.bpmn',
  unrunnableElementId: 'Decide',
  xml: `${header('ContractUnrunnable')}
  <bpmn:process id="contract-unrunnable" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="ToDecide" sourceRef="Start" targetRef="Decide" />
    <bpmn:complexGateway id="Decide" />
    <bpmn:sequenceFlow id="ToEnd" sourceRef="Decide" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>
</bpmn:definitions>
`,
};
