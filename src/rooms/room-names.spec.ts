import { AppError } from '../common/errors';
import { dmRoomName } from '../protocol';
import { parsePublicRoom, parseRoom } from './room-names';

const A = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const B = '01BX5ZZKBKACTAV9WEVGEMMVRZ';
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as AppError).code;
  }
  return 'OK';
};

describe('room names', () => {
  it('names DM rooms with the two ids ordered as strings', () => {
    expect(dmRoomName(B, A)).toBe(`dm:${A}:${B}`);
    expect(dmRoomName(A, B)).toBe(`dm:${A}:${B}`);
  });

  it('accepts public names of 1-64 of a-z 0-9 - _ and well-formed DM rooms only', () => {
    expect(parseRoom('general_1-x')).toEqual({ kind: 'named', name: 'general_1-x' });
    expect(parseRoom(`dm:${A}:${B}`)).toMatchObject({ kind: 'dm', members: [A, B] });
    for (const bad of ['', 'General', 'a'.repeat(65), 'a b', `dm:${B}:${A}`, 'dm:x:y', 'dm:']) {
      expect(code(() => parseRoom(bad))).toBe('VALIDATION_FAILED');
    }
  });

  it('keeps DM rooms out of room events', () => {
    expect(code(() => parsePublicRoom(`dm:${A}:${B}`))).toBe('FORBIDDEN');
    expect(code(() => parsePublicRoom('general'))).toBe('OK');
  });
});
