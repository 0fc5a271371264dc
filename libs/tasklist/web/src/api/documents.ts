/** The GraphQL operations of the page: only what the tasklist contract offers. */

export const TASK_ROW_FIELDS = `id name description processName processDefinitionKey priority createTime
  dueDate followUpDate deferred assignee candidateUsers candidateGroups formKey version`;

/** A page of a history, as the history list shows it (history.graphql, beside the contract). */
export const HISTORY_PAGE_FIELDS = `totalCount pageInfo { hasNextPage endCursor }
  nodes { revision time type userId commandId changes { field value } comment { text } }`;

/** Changes of a task the detail reads at once; older ones are read on demand. */
export const HISTORY_PAGE_SIZE = 100;

export const TASK_DETAIL_FIELDS = `${TASK_ROW_FIELDS} taskDefinitionKey businessKey applicationName
  processInstanceId owner payload
  dataEntries { id name type state { processingType state }
    protocol { time processingType state username logMessage } }
  history(first: ${HISTORY_PAGE_SIZE}) { ${HISTORY_PAGE_FIELDS} }
  comments { id author time text }`;

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

/** The task, and what the detail needs to know of the user and the server to offer its actions. */
export const TASK = `query Task($id: ID!) {
  me { permissions }
  commentMaxLength
  task(id: $id) { ${TASK_DETAIL_FIELDS} }
}`;

export const TASK_HISTORY = `query TaskHistory($id: ID!, $after: String) {
  task(id: $id) { history(first: ${HISTORY_PAGE_SIZE}, after: $after) { ${HISTORY_PAGE_FIELDS} } }
}`;

/** The detail's own live view of its task: only whether it changed (the detail then reads it again). */
export const TASK_VERSIONS = `subscription TaskVersions($filter: TaskFilter) {
  taskChanges(filter: $filter) { kind removedIds tasks { id version } }
}`;

export const CLAIM = `mutation Claim($id: ID!) { claimTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;
export const UNCLAIM = `mutation Unclaim($id: ID!) { unclaimTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;
export const COMPLETE = `mutation Complete($id: ID!, $variables: JSON) {
  completeTask(id: $id, variables: $variables) { id }
}`;
export const DEFER = `mutation Defer($id: ID!, $followUpDate: DateTime!) {
  deferTask(id: $id, followUpDate: $followUpDate) { ${TASK_DETAIL_FIELDS} }
}`;
export const UNDEFER = `mutation Undefer($id: ID!) { undeferTask(id: $id) { ${TASK_DETAIL_FIELDS} } }`;

/** Beside the contract (task-edits.graphql, history.graphql): delegation, edits, comments. */
export const ASSIGN = `mutation Assign($id: ID!, $assignee: String!) {
  assignTask(id: $id, assignee: $assignee) { ${TASK_DETAIL_FIELDS} }
}`;
export const UPDATE = `mutation Update($id: ID!, $changes: TaskChangesInput!) {
  updateTask(id: $id, changes: $changes) { ${TASK_DETAIL_FIELDS} }
}`;
export const ADD_COMMENT = `mutation AddComment($id: ID!, $text: String!) {
  addTaskComment(id: $id, text: $text) { ${TASK_DETAIL_FIELDS} }
}`;

/** Closed tasks (history.graphql): the task as it closed, with its history. */
export const CLOSED_TASKS = `query ClosedTasks($filter: ClosedTaskFilter, $first: Int, $after: String) {
  closedTasks(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { closedAs closedAt completedBy closedBy deleteReason
      task { ${TASK_ROW_FIELDS} history(first: ${HISTORY_PAGE_SIZE}) { ${HISTORY_PAGE_FIELDS} } } }
  }
}`;

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

/** Saved filters (saved-filters.graphql, beside the contract). */
const SAVED_FILTER_FIELDS = `id name filter sort { field direction } owner sharedWithGroups`;

export const SAVED_FILTERS = `query SavedFilters { savedFilters { ${SAVED_FILTER_FIELDS} } }`;

export const SAVE_FILTER = `mutation SaveFilter($name: String!, $filter: TaskFilter!, $sort: [TaskSort!]) {
  saveFilter(name: $name, filter: $filter, sort: $sort) { ${SAVED_FILTER_FIELDS} }
}`;

export const DELETE_FILTER = `mutation DeleteFilter($id: ID!) { deleteFilter(id: $id) }`;
