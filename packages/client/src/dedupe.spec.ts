import { ChannelCursor, laterId, SeenIds } from './dedupe';

describe('SeenIds', () => {
  it('lets each id through once', () => {
    const seen = new SeenIds();
    expect(['a', 'b', 'a', 'c', 'b'].filter((id) => seen.add(id))).toEqual(['a', 'b', 'c']);
  });

  it('forgets the oldest beyond its capacity, never the recent ones', () => {
    const seen = new SeenIds(3);
    for (const id of ['1', '2', '3', '4']) seen.add(id);
    expect(seen.has('1')).toBe(false);
    expect(['2', '3', '4'].every((id) => seen.has(id))).toBe(true);
    expect(seen.add('4')).toBe(false);
  });
});

describe('ChannelCursor', () => {
  it('passes strictly newer offsets only, in any arrival order', () => {
    const cursor = new ChannelCursor(5);
    expect([3, 5, 6, 6, 8, 7, 9].filter((offset) => cursor.advance(offset))).toEqual([6, 8, 9]);
    expect(cursor.offset).toBe(9);
  });
});

describe('laterId', () => {
  it('keeps the later ULID', () => {
    expect(laterId(undefined, '01J0000000000000000000000A')).toBe('01J0000000000000000000000A');
    expect(laterId('01J0000000000000000000000B', '01J0000000000000000000000A')).toBe('01J0000000000000000000000B');
    expect(laterId('01J0000000000000000000000A', '01J0000000000000000000000B')).toBe('01J0000000000000000000000B');
  });
});
