import type { Message } from '@parley/client';
import { el, time } from './dom';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '👀'];

export interface MessageActions {
  me: string | null;
  /** the viewer may delete other people's messages here (room owner, moderator, admin) */
  moderates: boolean;
  edit: (m: Message, body: string) => void;
  remove: (m: Message) => void;
  react: (m: Message, emoji: string, add: boolean) => void;
}

/** A stored message: body (or the tombstone), "edited", reaction counts and the actions allowed. */
export function messageItem(m: Message, actions: MessageActions): HTMLElement {
  const mine = m.sender.id === actions.me;
  const deleted = m.deletedAt !== null;
  const item = el('li', { class: `${mine ? 'mine' : ''} ${deleted ? 'deleted' : ''}`, 'data-testid': 'message-item', 'data-id': m.id });
  const meta = el(
    'div',
    { class: 'meta' },
    el('span', { 'data-testid': 'message-sender' }, m.sender.displayName),
    el('time', { datetime: m.createdAt }, time(m.createdAt)),
  );
  if (m.editedAt && !deleted)
    meta.append(el('span', { class: 'tag', 'data-testid': 'message-edited', title: new Date(m.editedAt).toLocaleString() }, 'edited'));
  const body = el('div', { class: 'body', 'data-testid': 'message-body' }, deleted ? 'This message was deleted' : m.body);
  item.append(meta, body);
  if (deleted) return item;

  if (m.reactions.length) {
    item.append(
      el(
        'div',
        { class: 'reactions' },
        ...m.reactions.map((r) => {
          const reacted = actions.me !== null && r.userIds.includes(actions.me);
          const chip = el(
            'button',
            {
              type: 'button',
              class: `reaction ${reacted ? 'reacted' : ''}`,
              'aria-pressed': String(reacted),
              'data-testid': 'reaction',
              'data-emoji': r.emoji,
            },
            `${r.emoji} `,
            el('span', { 'data-testid': 'reaction-count' }, String(r.userIds.length)),
          );
          chip.addEventListener('click', () => actions.react(m, r.emoji, !reacted));
          return chip;
        }),
      ),
    );
  }

  const tools = el('div', { class: 'tools' });
  const palette = el(
    'div',
    { class: 'palette', hidden: '' },
    ...QUICK_REACTIONS.map((emoji) => {
      const option = el('button', { type: 'button', class: 'secondary', 'data-testid': 'emoji-option', 'aria-label': `React ${emoji}` }, emoji);
      option.addEventListener('click', () => {
        palette.hidden = true;
        const reacted = m.reactions.some((r) => r.emoji === emoji && actions.me !== null && r.userIds.includes(actions.me));
        actions.react(m, emoji, !reacted);
      });
      return option;
    }),
  );
  const react = tool('React', 'message-react', () => (palette.hidden = !palette.hidden));
  tools.append(react);
  if (mine) tools.append(tool('Edit', 'message-edit', () => startEdit(item, body, m, actions)));
  if (mine || actions.moderates) tools.append(tool('Delete', 'message-delete', () => actions.remove(m)));
  item.append(tools, palette);
  return item;
}

function tool(label: string, testId: string, onClick: () => void): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'link', 'data-testid': testId }, label);
  button.addEventListener('click', onClick);
  return button;
}

function startEdit(item: HTMLElement, body: HTMLElement, m: Message, actions: MessageActions): void {
  const input = el('input', { value: m.body, maxlength: '4000', 'aria-label': 'Edit message', 'data-testid': 'edit-input' });
  const form = el(
    'form',
    { class: 'row edit' },
    input,
    el('button', { type: 'submit', 'data-testid': 'edit-save' }, 'Save'),
    el('button', { type: 'button', class: 'secondary', 'data-testid': 'edit-cancel' }, 'Cancel'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim() && input.value !== m.body) actions.edit(m, input.value);
    form.replaceWith(body);
  });
  form.querySelector('[data-testid="edit-cancel"]')?.addEventListener('click', () => form.replaceWith(body));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') form.replaceWith(body);
  });
  body.replaceWith(form);
  item.classList.add('editing');
  input.focus();
}

/** A message still in the outbox. */
export function pendingItem(id: string, sender: string, createdAt: string, body: string): HTMLElement {
  return el(
    'li',
    { class: 'mine pending', 'data-testid': 'message-item', 'data-id': id },
    el(
      'div',
      { class: 'meta' },
      el('span', { 'data-testid': 'message-sender' }, sender),
      el('time', { datetime: createdAt }, time(createdAt)),
      'sending…',
    ),
    el('div', { class: 'body', 'data-testid': 'message-body' }, body),
  );
}
