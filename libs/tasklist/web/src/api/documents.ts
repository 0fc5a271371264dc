/** The GraphQL operations of the page: only what the tasklist contract offers. */

export const TASK_ROW_FIELDS = `id name description processName processDefinitionKey priority createTime
  dueDate followUpDate deferred assignee candidateUsers candidateGroups formKey version`;

export const TASK_DETAIL_FIELDS = `${TASK_ROW_FIELDS} taskDefinitionKey businessKey applicationName
  processInstanceId owner payload
  dataEntries { id name type state { processingType state }
    protocol { time processingType state username logMessage } }`;

export const ME = `query Me { me { id groups } }`;

/** `first` (added beside the contract) cuts the snapshot: the page reads its rows with TASK_PAGE. */
export const TASK_CHANGES = `subscription TaskChanges($filter: TaskFilter, $first: Int) {
  taskChanges(filter: $filter, first: $first) { kind position removedIds tasks { ${TASK_ROW_FIELDS} } }
}`;

export const TASK_PAGE = `query TaskPage($filter: TaskFilter, $sort: [TaskSort!], $first: Int, $after: String) {
  tasks(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${TASK_ROW_FIELDS} }
  }
}`;

/** Added beside the contract: live counts, one per filter (the tabs). */
export const TASK_COUNT_CHANGES = `subscription TaskCountChanges($filters: [TaskFilter!]!) {
  taskCountChanges(filters: $filters) { counts position }
}`;

export const TASK = `query Task($id: ID!) { task(id: $id) { ${TASK_DETAIL_FIELDS} } }`;

export const CLAIM = `mutation Claim($id: ID!) { claimTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;
export const UNCLAIM = `mutation Unclaim($id: ID!) { unclaimTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;
export const COMPLETE = `mutation Complete($id: ID!, $variables: JSON) {
  completeTask(id: $id, variables: $variables) { id }
}`;
export const DEFER = `mutation Defer($id: ID!, $followUpDate: DateTime!) {
  deferTask(id: $id, followUpDate: $followUpDate) { ${TASK_DETAIL_FIELDS} }
}`;
export const UNDEFER = `mutation Undefer($id: ID!) { undeferTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;

export const STARTABLE_PROCESSES = `query Startable {
  startableProcesses { id key name description formKey }
}`;
export const START_PROCESS = `mutation Start($key: String!, $variables: JSON) {
  startProcess(processDefinitionKey: $key, variables: $variables) { processInstanceId processDefinitionKey }
}`;

/** Added beside the contract: the Camunda Form a formKey names. */
export const FORM = `query Form($key: String!) { form(key: $key) { key schema } }`;

export const DATA_ENTRY_ROW_FIELDS = `id entryType entryId type name applicationName
  state { processingType state } version`;

export const DATA_ENTRY_CHANGES = `subscription DataEntryChanges($filter: DataEntryFilter) {
  dataEntryChanges(filter: $filter) { kind position removedIds dataEntries { ${DATA_ENTRY_ROW_FIELDS} } }
}`;

export const DATA_ENTRY = `query DataEntry($entryType: String!, $entryId: String!) {
  dataEntry(entryType: $entryType, entryId: $entryId) {
    ${DATA_ENTRY_ROW_FIELDS} description formKey payload
    protocol { time processingType state username logMessage logDetails }
    tasks { id name assignee processName }
  }
}`;
