import { describe, expect, it } from '@jest/globals';
import { aCreateTaskCommand } from '@eddy/testing';
import { decodeCommandMessage } from './command-message';

const limits = { maxMessageBytes: 2_048, maxPayloadDepth: 8 };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeCommandMessage', () => {
  it('reads the JSON of one command with its correlation header', () => {
    const decoded = decodeCommandMessage(
      json(aCreateTaskCommand('c-1', 't-1')),
      { 'x-correlation-id': 'corr-1' },
      limits,
    );
    expect(decoded).toMatchObject({
      ok: true,
      commandId: 'c-1',
      correlationId: 'corr-1',
      command: { type: 'CreateTask', data: { id: 't-1' } },
    });
  });

  it('refuses a message without a value and one that is not JSON', () => {
    expect(decodeCommandMessage(null, {}, limits)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_JSON' },
    });
    expect(decodeCommandMessage(Buffer.from('{"type":'), {}, limits)).toMatchObject({
      ok: false,
      commandId: null,
      error: { code: 'INVALID_JSON', message: expect.stringContaining('not JSON') },
    });
  });

  it('refuses a value over the size limit before reading it', () => {
    const big = Buffer.alloc(limits.maxMessageBytes + 1, 'x');
    expect(decodeCommandMessage(big, {}, limits)).toMatchObject({
      ok: false,
      error: { code: 'MESSAGE_TOO_LARGE', message: expect.stringContaining('2049 bytes') },
    });
  });

  it('names the unknown type and the bad field, keeping the command id', () => {
    expect(
      decodeCommandMessage(json({ type: 'LaunchRocket', commandId: 'c-2', data: {} }), {}, limits),
    ).toEqual({
      ok: false,
      commandId: 'c-2',
      error: {
        code: 'UNKNOWN_COMMAND_TYPE',
        message: "type: unknown command type 'LaunchRocket'",
        path: 'type',
      },
    });
    const noInstance = aCreateTaskCommand('c-3', 't-3', { sourceReference: { type: 'generic' } });
    expect(decodeCommandMessage(json(noInstance), {}, limits)).toMatchObject({
      ok: false,
      commandId: 'c-3',
      error: { code: 'INVALID_COMMAND', path: expect.stringMatching(/^data\.sourceReference\./) },
    });
  });

  it('refuses a payload nested deeper than the limit, naming the field', () => {
    let payload: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) payload = { nested: payload };
    expect(
      decodeCommandMessage(json(aCreateTaskCommand('c-4', 't-4', { payload })), {}, limits),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_COMMAND', path: expect.stringMatching(/^data\.payload/) },
    });
  });

  it('refuses a correlation header that is not one printable ASCII value', () => {
    const command = json(aCreateTaskCommand('c-5', 't-5'));
    for (const header of [Buffer.from('with space'), ['a', 'b']]) {
      expect(decodeCommandMessage(command, { 'x-correlation-id': header }, limits)).toMatchObject({
        ok: false,
        commandId: 'c-5',
        error: { code: 'INVALID_HEADER', path: 'headers.x-correlation-id' },
      });
    }
  });
});
