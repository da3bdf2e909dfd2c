import { AppError } from '../common/errors';
import { withoutReaction, withReaction } from './messages.service';

describe('reactions', () => {
  it('keep the order of first use and are idempotent per user', () => {
    const one = withReaction([], '👍', 'a')!;
    const two = withReaction(one, '🎉', 'b')!;
    const three = withReaction(two, '👍', 'b')!;
    expect(three).toEqual([
      { emoji: '👍', userIds: ['a', 'b'] },
      { emoji: '🎉', userIds: ['b'] },
    ]);
    expect(withReaction(three, '👍', 'a')).toBeNull();
    expect(withoutReaction(three, '🎉', 'a')).toBeNull();
  });

  it('disappear with their last user', () => {
    const reactions = withReaction(withReaction([], '👍', 'a')!, '🎉', 'a')!;
    expect(withoutReaction(reactions, '👍', 'a')).toEqual([{ emoji: '🎉', userIds: ['a'] }]);
  });

  it('allow at most 20 distinct emoji, but more users on them', () => {
    let reactions = withReaction([], 'e0', 'a')!;
    for (let i = 1; i < 20; i++) reactions = withReaction(reactions, `e${i}`, 'a')!;
    expect(() => withReaction(reactions, 'new', 'a')).toThrow(AppError);
    expect(withReaction(reactions, 'e5', 'b')?.[5].userIds).toEqual(['a', 'b']);
  });
});
