// Runs the public npm client @apigrate/autotask-restapi, unchanged, against
// cwsim's Autotask personality: zone lookup, query and count, field info,
// note create, ticket update (PATCH) and time entry create. Started by
// run.sh with CWSIM_PORT set; exits non-zero on the first failed check.
import assert from 'node:assert/strict';
import atapi from '@apigrate/autotask-restapi';

const { AutotaskRestApi, AutotaskApiError } = atapi;
const port = process.env.CWSIM_PORT;
const user = process.env.AT_USERNAME ?? 'apiuser@msp.example.com';
const secret = process.env.AT_SECRET ?? 'cwsim-secret';
const code = process.env.AT_INTEGRATION_CODE ?? 'CWSIMINTEGRATIONCODE';
const tickets = Number(process.env.CWSIM_TICKETS ?? '5');
assert.ok(port, 'CWSIM_PORT is not set');
const base = `http://127.0.0.1:${port}`;

async function control(path) {
  const r = await fetch(`${base}/_sim${path}`);
  assert.equal(r.status, 200, `control ${path}`);
  return r.json();
}

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}: ${err?.stack ?? err}`);
    process.exit(1);
  }
}

const at = new AutotaskRestApi(user, secret, code, { base_url: `${base}/ATServicesRest/` });
const all = [{ op: 'gte', field: 'id', value: 0 }];
const marker = `[cwsync:${Date.now().toString(16).slice(-8)}]`;

await step('zone lookup, then query with paging details', async () => {
  const page = await at.Tickets.query({ filter: all, MaxRecords: 2 });
  assert.equal(at.zoneInfo?.url, `${base}/ATServicesRest/`, 'the client took the zone URL from cwsim');
  assert.equal(page.items.length, 2);
  assert.equal(page.pageDetails.count, 2);
  assert.ok(page.pageDetails.nextPageUrl, 'a next page is announced');
  const log = (await control('/requests')).requests;
  assert.ok(log.some((e) => /zoneInformation$/i.test(e.path) && e.status === 200), 'zone lookup reached cwsim');
});

await step('count', async () => {
  const n = await at.Tickets.count({ filter: all });
  assert.deepEqual(n, { queryCount: tickets });
  const or = await at.Tickets.count({
    filter: [{ op: 'or', items: [{ op: 'eq', field: 'id', value: 1001 }, { op: 'in', field: 'id', value: [1002, 1003] }] }],
  });
  assert.equal(or.queryCount, 3);
});

await step('field info (entityInformation/fields) with picklists', async () => {
  const info = await at.Tickets.fieldInfo();
  const status = info.fields.find((f) => f.name === 'status');
  assert.ok(status?.isPickList, 'status is a picklist');
  assert.ok(status.picklistValues.some((v) => v.value === '8' && v.isActive), 'In Progress (8) is active');
});

await step('get by id, and null for a missing id', async () => {
  const t = await at.Tickets.get(1001);
  assert.equal(t.item.id, 1001);
  assert.equal(await at.Tickets.get(999999), null);
});

await step('note create, found again by a contains filter', async () => {
  const created = await at.TicketNotes.create(1001, {
    ticketID: 1001, title: 'Session note', description: `Rebooted the router ${marker}`, noteType: 1, publish: 2,
  });
  assert.equal(typeof created.itemId, 'number');
  const found = await at.TicketNotes.query({
    filter: [{ op: 'eq', field: 'ticketID', value: 1001 }, { op: 'contains', field: 'description', value: marker }],
  });
  assert.deepEqual(found.items.map((n) => n.id), [created.itemId]);
});

await step('ticket update (PATCH status), and a 500 with errors for an inactive status', async () => {
  const r = await at.Tickets.update({ id: 1001, status: 8 });
  assert.deepEqual(r, { itemId: 1001 });
  assert.equal((await at.Tickets.get(1001)).item.status, 8);
  await assert.rejects(at.Tickets.update({ id: 1001, status: 14 }), (err) => {
    assert.ok(err instanceof AutotaskApiError);
    assert.equal(err.status, 500);
    assert.ok(Array.isArray(err.details?.errors) && err.details.errors.length === 1);
    return true;
  });
});

await step('time entry create with the resource\'s default role', async () => {
  const roles = await at.ResourceRoles.query({ filter: [{ op: 'eq', field: 'resourceID', value: 102 }] });
  const role = roles.items.find((r) => r.isDefault);
  assert.ok(role, 'resource 102 has a default role');
  const created = await at.TimeEntries.create({
    resourceID: 102, ticketID: 1001, roleID: role.roleID, dateWorked: '2026-11-01T00:00:00Z',
    startDateTime: '2026-11-01T09:00:00Z', endDateTime: '2026-11-01T09:30:00Z', hoursWorked: 0.5,
    summaryNotes: `Remote session ${marker}`, internalNotes: 'via the npm client',
  });
  assert.equal(typeof created.itemId, 'number');
  const stored = (await control('/store/autotask-time-entries')).time_entries;
  assert.equal(stored.at(-1).id, created.itemId);
  assert.equal(stored.at(-1).hoursWorked, 0.5);
  await assert.rejects(at.TimeEntries.create({ resourceID: 102, ticketID: 1001, roleID: role.roleID,
    dateWorked: '2026-11-01', hoursWorked: 25, summaryNotes: 'too long' }), (err) => err.status === 500);
});

await step('every call went to cwsim with the three auth headers', async () => {
  const log = (await control('/requests')).requests.filter((e) => e.api === 'autotask');
  assert.ok(log.length >= 12, `saw ${log.length} Autotask requests`);
  assert.ok(log.every((e) => e.status !== 401), 'no call was refused for auth');
});

console.log('autotask npm client: all checks passed');
