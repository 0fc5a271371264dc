import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness, type GraphqlAnswer } from './support/tasklist-harness';

interface SavedFilter {
  id: string;
  name: string;
  filter: Record<string, unknown>;
  sort: { field: string; direction: string }[];
  owner: string;
  sharedWithGroups: string[];
  createdAt: string;
  updatedAt: string;
}

const FIELDS = 'id name filter sort { field direction } owner sharedWithGroups createdAt updatedAt';

const errorOf = (answer: GraphqlAnswer) => answer.errors?.[0];

describe('saved filters end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let dora: Record<string, string>;
  let admin: Record<string, string>;

  const save = (headers: Record<string, string>, variables: Record<string, unknown>) =>
    harness.graphql<{ saveFilter: SavedFilter }>(
      `mutation($name: String!, $filter: TaskFilter!, $sort: [TaskSort!]) {
        saveFilter(name: $name, filter: $filter, sort: $sort) { ${FIELDS} } }`,
      variables,
      headers,
    );
  const list = async (headers: Record<string, string>) => {
    const answer = await harness.graphql<{ savedFilters: SavedFilter[] }>(
      `{ savedFilters { ${FIELDS} } }`,
      {},
      headers,
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.savedFilters;
  };

  beforeAll(async () => {
    harness = await TasklistHarness.start({
      tasklist: { readYourWritesTimeoutMs: 5_000, maxSavedFiltersPerUser: 4 },
    });
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    dora = await harness.as('dora', ['sales', 'leads']);
    admin = await harness.as('root', ['admins']);
    for (let i = 0; i < 6; i++) {
      await harness.createTask(`sf-${i}`, {
        name: `Quote ${i}`,
        candidateGroups: ['sales'],
        priority: i * 20,
        dueDate: `2026-0${i + 1}-15T10:00:00Z`,
        payload: { region: i % 2 ? 'north' : 'south' },
      });
    }
    await harness.settle();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('saves a filter that tasks takes as it is, lists it, and renames it', async () => {
    const filter = {
      priorityMin: 20,
      dueBefore: '2026-06-01T00:00:00+02:00',
      payload: [{ path: 'region', op: 'EQ', value: 'north' }],
    };
    const sort = [{ field: 'PRIORITY', direction: 'DESC' }];
    const saved = await save(alice, { name: 'North, urgent first', filter, sort });
    expect(saved.errors).toBeUndefined();
    const created = saved.data!.saveFilter;
    expect(created).toMatchObject({
      name: 'North, urgent first',
      owner: 'alice',
      sharedWithGroups: [],
      // Stored as tasks read it: the DateTime in UTC.
      filter: { ...filter, dueBefore: '2026-05-31T22:00:00.000Z' },
      sort,
    });
    expect(created.updatedAt).toBe(created.createdAt);
    expect(await list(alice)).toEqual([created]);

    const direct = await harness.graphql<{ tasks: { nodes: { id: string }[] } }>(
      'query($f: TaskFilter, $s: [TaskSort!]) { tasks(filter: $f, sort: $s) { nodes { id } } }',
      { f: filter, s: sort },
      alice,
    );
    const fromSaved = await harness.graphql<{ tasks: { nodes: { id: string }[] } }>(
      'query($f: TaskFilter, $s: [TaskSort!]) { tasks(filter: $f, sort: $s) { nodes { id } } }',
      { f: created.filter, s: created.sort },
      alice,
    );
    expect(fromSaved.data!.tasks.nodes.map((t) => t.id)).toEqual(['sf-3', 'sf-1']);
    expect(fromSaved.data).toEqual(direct.data);

    const renamed = await harness.graphql<{ updateFilter: SavedFilter }>(
      `mutation($id: ID!) { updateFilter(id: $id, name: "North") { ${FIELDS} } }`,
      { id: created.id },
      alice,
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.updateFilter).toMatchObject({
      id: created.id,
      name: 'North',
      filter: created.filter,
    });
    expect((await list(alice)).map((f) => f.name)).toEqual(['North']);
  });

  it('refuses a filter that does not validate, naming the field, and saves nothing', async () => {
    const before = await list(alice);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: '', filter: {} }, 'name', /name: must not be blank/],
      [{ name: 'x'.repeat(201), filter: {} }, 'name', /name: must be at most 200 characters/],
      [{ name: 'two\nlines', filter: {} }, 'name', /name: must be on one line/],
      [
        { name: 'bad path', filter: { payload: [{ path: 'a..b', op: 'EQ', value: 1 }] } },
        'filter.payload[0].path',
        /filter\.payload\[0\]\.path/,
      ],
      [
        { name: 'bad value', filter: { payload: [{ path: 'region', op: 'IN', value: 'north' }] } },
        'filter.payload[0].value',
        /IN needs an array/,
      ],
    ];
    for (const [variables, field, message] of cases) {
      const error = errorOf(await save(alice, variables));
      expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error?.message).toMatch(message);
    }
    // A field TaskFilter does not have, or a date that is none, is refused as tasks refuses it.
    const unknown = errorOf(await save(alice, { name: 'colour', filter: { colour: 'red' } }));
    expect(unknown?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown?.message).toMatch(/Field "colour" is not defined by type "TaskFilter"/);
    const badDate = errorOf(
      await save(alice, { name: 'date', filter: { dueBefore: '2026-02-31T00:00:00Z' } }),
    );
    expect(badDate?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badDate?.message).toMatch(/dueBefore/);
    const badSort = errorOf(await save(alice, { name: 'sort', filter: {}, sort: [{ field: 'COLOUR' }] }));
    expect(badSort?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badSort?.message).toMatch(/COLOUR/);
    expect(await list(alice)).toEqual(before);
  });

  it('refuses more filters than a user may own', async () => {
    const own = (await list(alice)).length;
    for (let i = own; i < 4; i++)
      expect((await save(alice, { name: `Spare ${i}`, filter: {} })).errors).toBeUndefined();
    const refused = errorOf(await save(alice, { name: 'One too many', filter: {} }));
    expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_SAVED_FILTERS' });
    expect(refused?.message).toMatch(/EDDY_SAVED_FILTERS_PER_USER/);
    // Another user's limit is their own.
    expect((await save(bob, { name: 'Mine', filter: { assignedToMe: true } })).errors).toBeUndefined();
    for (const f of (await list(alice)).filter((f) => f.name.startsWith('Spare'))) {
      const deleted = await harness.graphql(
        'mutation($id: ID!) { deleteFilter(id: $id) }',
        { id: f.id },
        alice,
      );
      expect(deleted.data).toEqual({ deleteFilter: f.id });
    }
  });

  it('shows a filter to its owner and the groups an admin shares it with; only owner or admin change it', async () => {
    const [north] = await list(alice);
    const mutate = (
      query: string,
      headers: Record<string, string>,
      variables: Record<string, unknown> = {},
    ) => harness.graphql<Record<string, SavedFilter>>(query, { id: north.id, ...variables }, headers);
    const rename = 'mutation($id: ID!) { updateFilter(id: $id, name: "Mine now") { id } }';
    const remove = 'mutation($id: ID!) { deleteFilter(id: $id) }';
    const share = `mutation($id: ID!, $groups: [String!]!) { shareFilter(id: $id, groups: $groups) { ${FIELDS} } }`;

    // Not shared: nobody else sees it, and to them it does not exist.
    expect((await list(dora)).map((f) => f.id)).not.toContain(north.id);
    expect(errorOf(await mutate(rename, bob))?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(errorOf(await mutate(remove, bob))?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    // Sharing is for admins, even to the owner.
    expect(errorOf(await mutate(share, alice, { groups: ['leads'] }))?.extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await mutate(share, admin, { groups: ['bad group'] }))?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'groups.0',
    });

    const shared = await mutate(share, admin, { groups: ['leads', 'support'] });
    expect(shared.errors).toBeUndefined();
    expect(shared.data!.shareFilter).toMatchObject({
      owner: 'alice',
      sharedWithGroups: ['leads', 'support'],
    });
    expect((await list(dora)).map((f) => f.id)).toContain(north.id);
    expect((await list(bob)).map((f) => f.name)).toEqual(['Mine', 'North']);
    // Seen, but not theirs to change.
    expect(errorOf(await mutate(rename, dora))?.extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await mutate(remove, bob))?.extensions?.code).toBe('FORBIDDEN');
    // An admin may.
    expect((await mutate(rename, admin)).errors).toBeUndefined();
    expect((await list(dora)).find((f) => f.id === north.id)?.name).toBe('Mine now');

    // Unshared: gone for the groups again.
    expect((await mutate(share, admin, { groups: [] })).errors).toBeUndefined();
    expect((await list(dora)).map((f) => f.id)).not.toContain(north.id);

    expect((await mutate(remove, alice)).data).toEqual({ deleteFilter: north.id });
    expect(await list(alice)).toEqual([]);
    expect(errorOf(await mutate(remove, alice))?.extensions?.code).toBe('NOT_FOUND');
    expect(errorOf(await mutate(rename, admin))?.extensions?.code).toBe('NOT_FOUND');
  });

  it('deletes a filter once when three deletions race: the others are NOT_FOUND', async () => {
    const saved = await save(bob, { name: 'Racing', filter: { unassigned: true } });
    const id = saved.data!.saveFilter.id;
    const remove = () => harness.graphql('mutation($id: ID!) { deleteFilter(id: $id) }', { id }, bob);
    const answers = await Promise.all([remove(), remove(), remove()]);
    const codes = answers.map((a) => errorOf(a)?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'OK']);
    expect((await list(bob)).map((f) => f.id)).not.toContain(id);
  });

  it('answers only an authenticated user', async () => {
    const answer = await harness.graphql('{ savedFilters { id } }');
    expect(errorOf(answer)?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
